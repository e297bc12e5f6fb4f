using System.Text.Json.Serialization;
using FineTune.Host.EventGrid;
using FineTune.Host.Functions;
using FineTune.Host.Jobs;
using FineTune.Pipeline;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FineTune.Host.Hosting;

/// <summary>
/// Builds the ASP.NET Core host behind `finetune serve` and the Functions custom handler: storage, the job pipeline
/// (workers + drop-zone scan unless the Functions host delivers triggers), the job API, Event Grid, the Functions
/// invocation endpoints, and every <see cref="IEndpointGroup"/> registered by <paramref name="configure"/>.
/// </summary>
public static class FineTuneHost
{
    public static WebApplication Build(HostSettings settings, Action<WebApplicationBuilder>? configure = null)
    {
        var problems = settings.Check();
        if (problems.Count > 0) throw new InvalidOperationException("invalid host settings: " + string.Join("; ", problems));

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls([.. settings.Urls]);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 4L << 30);
        builder.Services.Configure<FormOptions>(f => f.MultipartBodyLengthLimit = 4L << 30);
        // Request-start logs print query strings, and `code` may be an API key there.
        // (and per-request framework chatter drowns the pipeline's own logs)
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            o.SerializerOptions.Encoder = JobJson.Options.Encoder;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
        });

        var storage = settings.StorageConnectionString is { } cs ? StorageAccount.FromConnectionString(cs) : StorageAccount.FromDirectory(settings.DataDirectory);
        var pipeline = settings.Pipeline;
        if (settings.FunctionsCustomHandler)
        {
            pipeline.ScanInterval = TimeSpan.Zero; // the Functions host runs the blob and queue triggers
            pipeline.RunWorkers = false;
        }
        builder.Services.AddSingleton(settings);
        builder.Services.AddHostedService<StorageInitializer>();
        builder.Services.AddFineTunePipeline(storage, pipeline, CreateBackend(settings));
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseMiddleware<ApiKeyMiddleware>();
        WebConsole.ConsoleEndpoints.MapConsole(app);
        app.MapJobEndpoints();
        app.MapEventGridEndpoints();
        app.MapFunctionsEndpoints();
        foreach (var group in app.Services.GetServices<IEndpointGroup>())
        {
            var conventions = app.MapGroup("");
            if (!group.RequiresApiKey) conventions.WithMetadata(NoApiKey.Instance);
            group.Map(conventions);
        }
        return app;
    }

    private static ITrainingBackend CreateBackend(HostSettings settings)
    {
        var training = settings.Training;
        return training.Backend.ToLowerInvariant() switch
        {
            "local" => new LocalProcessTrainingBackend(training, settings.StorageConnectionString ?? Path.GetFullPath(settings.DataDirectory)),
            "containerapps" => new ContainerAppsJobBackend(training,
                ContainerAppsJobBackend.CreatePipeline(new global::Azure.Identity.DefaultAzureCredential()), new Uri("https://management.azure.com/")),
            _ => new NotConfiguredTrainingBackend(),
        };
    }
}
