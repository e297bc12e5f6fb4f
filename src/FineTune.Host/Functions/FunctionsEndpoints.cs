using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Host.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FineTune.Host.Functions;

/// <summary>
/// Azure Functions custom-handler invocations (the Functions host POSTs {Data, Metadata} to /{FunctionName} and reads
/// {Outputs, Logs, ReturnValue}): <c>BlobUpload</c> (blob trigger on uploads/{name}), <c>JobQueue</c> (queue trigger on
/// the job queue) and <c>Sweep</c> (timer: rescan uploads/ and re-enqueue unfinished jobs). HTTP functions are forwarded
/// to the ordinary /api routes (enableForwardingHttpRequest). Payload strings may arrive JSON-quoted twice; parsed defensively.
/// </summary>
public static class FunctionsEndpoints
{
    public static IEndpointRouteBuilder MapFunctionsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/" + FunctionNames.BlobUpload, BlobUploadAsync).WithMetadata(NoApiKey.Instance);
        endpoints.MapPost("/" + FunctionNames.JobQueue, JobQueueAsync).WithMetadata(NoApiKey.Instance);
        endpoints.MapPost("/" + FunctionNames.Sweep, SweepAsync).WithMetadata(NoApiKey.Instance);
        return endpoints;
    }

    private static async Task<IResult> BlobUploadAsync(HttpRequest request, JobStarter starter, StorageAccount storage, CancellationToken ct)
    {
        var payload = await JsonNode.ParseAsync(request.Body, cancellationToken: ct) as JsonObject;
        var metadata = payload?["Metadata"] as JsonObject;
        var name = Unquote(metadata?["name"]) ?? NameFromUri(Unquote(metadata?["Uri"]));
        if (name is null) return Reply(500, "blob trigger payload without Metadata.name");
        var properties = Parse(metadata?["Properties"]);
        // Properties.ETag is a string when the host serializes it as one; otherwise ask storage for the current version.
        var etag = Text(properties?["ETag"]) ?? Text(properties?["eTag"]) ?? Text(properties?["etag"])
            ?? (await storage.Blobs.GetPropertiesAsync(Containers.Uploads, name, ct))?.ETag;
        if (etag is null) return Reply(200, $"uploads/{name} is gone; nothing to start");
        var started = await starter.StartAsync(Containers.Uploads, name, etag, ct: ct);
        return Reply(200, started is { } job ? $"job {job.Job.Id} for uploads/{name} ({(job.Created ? "created" : "exists")})" : $"uploads/{name} starts no job");
    }

    private static async Task<IResult> JobQueueAsync(HttpRequest request, JobRunner runner, JobStarter starter, PipelineOptions options, StorageAccount storage,
        CancellationToken ct)
    {
        var payload = await JsonNode.ParseAsync(request.Body, cancellationToken: ct) as JsonObject;
        var message = payload?["Data"]?["msg"];
        var jobId = Parse(message)?["jobId"]?.GetValue<string>() ?? Parse(message)?["JobId"]?.GetValue<string>();
        if (jobId is null || !JobPaths.IsValidId(jobId)) return Reply(200, "not a job message; dropped");
        var dequeueCount = int.TryParse(Unquote(payload?["Metadata"]?["DequeueCount"]), out var n) ? n : 1;
        try
        {
            var result = await runner.AdvanceAsync(jobId, ct);
            if (result == JobRunner.Result.Busy)
                await storage.Queues.SendAsync(Containers.JobQueue, new WakeMessage(jobId).ToJson(), options.LeaseDuration / 2, ct);
            return Reply(200, $"job {jobId}: {result}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (dequeueCount >= options.MaxDequeueCount) await runner.FailPoisonedAsync(jobId, dequeueCount, ct);
            return Reply(500, $"job {jobId}: {e.GetType().Name}: {e.Message}");
        }
    }

    private static async Task<IResult> SweepAsync(DropZoneScanner scanner, JobRunner runner, CancellationToken ct)
    {
        var created = await scanner.ScanOnceAsync(ct);
        var recovered = await runner.RecoverAsync(ct);
        return Reply(200, $"sweep: {created} jobs started, {recovered} unfinished jobs woken");
    }

    private static IResult Reply(int status, string log) =>
        TypedResults.Json(new JsonObject { ["Outputs"] = new JsonObject(), ["Logs"] = new JsonArray(log), ["ReturnValue"] = null }, statusCode: status);

    /// <summary>A string value, unwrapping the extra JSON quoting the Functions host may add.</summary>
    public static string? Unquote(JsonNode? node)
    {
        if (node is null) return null;
        var text = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node.ToJsonString();
        for (var i = 0; i < 2 && text.Length >= 2 && text[0] == '"' && text[^1] == '"'; i++)
        {
            try { text = JsonSerializer.Deserialize<string>(text) ?? text; }
            catch (JsonException) { break; }
        }
        return text;
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out _) && Unquote(node) is { Length: > 0 } text && !text.StartsWith('{') ? text : null;

    /// <summary>An object, whether it arrived as an object or as JSON text (possibly quoted again).</summary>
    public static JsonObject? Parse(JsonNode? node)
    {
        if (node is JsonObject o) return o;
        var text = Unquote(node);
        if (text is null) return null;
        try { return JsonNode.Parse(text) as JsonObject; }
        catch (JsonException) { return null; }
    }

    private static string? NameFromUri(string? uri)
    {
        if (uri is null || !Uri.TryCreate(uri, UriKind.Absolute, out var parsed)) return null;
        var path = Uri.UnescapeDataString(parsed.AbsolutePath);
        var marker = $"/{Containers.Uploads}/";
        var at = path.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? null : path[(at + marker.Length)..];
    }
}
