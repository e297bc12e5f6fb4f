using FineTune.Host.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace FineTune.Host.WebConsole;

/// <summary>
/// What the console needs beyond the job and OpenAI APIs, as ordinary API routes (they need the API key when the host
/// requires one): the trainer's presets and ranges, the base models a job can name, a dataset check that runs the
/// pipeline's own validator without starting a job, the datasets an eval set or general-data mix can name (and an
/// upload for them), and a document job's synthesized Q&amp;A pairs with their sources.
/// </summary>
public static class ConsoleApi
{
    public static IEndpointRouteBuilder MapConsoleApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/presets", PresetCatalog.Get);
        endpoints.MapGet("/api/base-models", BaseModelCatalog.ListAsync);
        endpoints.MapPost("/api/validate", DatasetCheck.ValidateAsync).DisableAntiforgery().WithMetadata(BodyLimit.ConsoleUpload);
        endpoints.MapGet("/api/datasets", DatasetCheck.ListAsync);
        endpoints.MapPost("/api/datasets", DatasetCheck.UploadAsync).DisableAntiforgery().WithMetadata(BodyLimit.ConsoleUpload)
            .RequireRateLimiting(JobSubmissionLimit.Policy);
        endpoints.MapGet("/api/synthesized/{id}", SynthesizedPairs.GetAsync);
        return endpoints;
    }
}
