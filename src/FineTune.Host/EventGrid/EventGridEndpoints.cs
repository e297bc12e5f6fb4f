using System.Text.Json;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FineTune.Host.EventGrid;

/// <summary>
/// POST /api/eventgrid: an Event Grid webhook (Event Grid schema, and CloudEvents 1.0 with its OPTIONS handshake).
/// Answers the subscription validation handshake with 200 {validationResponse}; each Microsoft.Storage.BlobCreated event
/// for the uploads container starts the job of that blob version (the same job a scan or another trigger would start).
/// </summary>
public static class EventGridEndpoints
{
    public const string BlobCreated = "Microsoft.Storage.BlobCreated";
    public const string SubscriptionValidation = "Microsoft.EventGrid.SubscriptionValidationEvent";
    private const string SubjectPrefix = "/blobServices/default/containers/";

    public static IEndpointRouteBuilder MapEventGridEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/eventgrid", HandleAsync);
        endpoints.MapMethods("/api/eventgrid", ["OPTIONS"], (HttpRequest request, HttpResponse response) =>
        {
            // CloudEvents webhook validation (abuse protection).
            response.Headers["WebHook-Allowed-Origin"] = request.Headers["WebHook-Request-Origin"].FirstOrDefault() ?? "*";
            return TypedResults.Ok();
        });
        return endpoints;
    }

    private static async Task<IResult> HandleAsync(HttpRequest request, JobStarter starter, CancellationToken ct)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            return TypedResults.Problem(statusCode: 400, title: "Invalid event payload", detail: e.Message);
        }
        using (document)
        {
            var events = document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement.EnumerateArray().ToList() : [document.RootElement];
            var started = new List<string>();
            foreach (var e in events)
            {
                var type = Text(e, "eventType") ?? Text(e, "type");
                if (type == SubscriptionValidation)
                {
                    var code = e.TryGetProperty("data", out var d) ? Text(d, "validationCode") : null;
                    return code is null
                        ? TypedResults.Problem(statusCode: 400, title: "Validation event without a validationCode")
                        : TypedResults.Ok(new { validationResponse = code });
                }
                if (type != BlobCreated) continue;
                var subject = Text(e, "subject") ?? "";
                if (!subject.StartsWith(SubjectPrefix, StringComparison.Ordinal)) continue;
                var rest = subject[SubjectPrefix.Length..];
                var slash = rest.IndexOf("/blobs/", StringComparison.Ordinal);
                if (slash < 0 || rest[..slash] != Containers.Uploads) continue;
                var name = rest[(slash + "/blobs/".Length)..];
                var etag = e.TryGetProperty("data", out var data) ? Text(data, "eTag") : null;
                if (etag is null) continue;
                if (await starter.StartAsync(Containers.Uploads, name, etag, ct: ct) is { } job) started.Add(job.Job.Id);
            }
            return TypedResults.Ok(new { jobs = started });
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
