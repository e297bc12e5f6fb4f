using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Host.Hosting;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace FineTune.Host.Jobs;

/// <summary>
/// The job API in Durable Functions' shapes, answered by the Durable client: start (202 + Location + Retry-After), status
/// (202 while running, 200 when finished), list, raise event (approve/reject, only at the gate), terminate, purge, and the
/// job's files (reports, metrics, evaluation).
/// </summary>
public static class JobEndpoints
{
    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var jobs = endpoints.MapGroup("/api/jobs");
        jobs.MapPost("", SubmitAsync).DisableAntiforgery().WithMetadata(BodyLimit.JobSubmission).RequireRateLimiting(JobSubmissionLimit.Policy);
        jobs.MapGet("", ListAsync);
        jobs.MapGet("/{id}", StatusAsync);
        jobs.MapPost("/{id}/raiseEvent/{eventName}", RaiseEventAsync);
        jobs.MapPost("/{id}/terminate", TerminateAsync);
        jobs.MapDelete("/{id}", PurgeAsync);
        jobs.MapGet("/{id}/files/{**path}", FileAsync);
        return endpoints;
    }

    private static string BaseUri(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

    public static JobStartResponse StartResponse(HttpRequest request, string id)
    {
        var status = $"{BaseUri(request)}/api/jobs/{id}";
        return new JobStartResponse(id, status, $"{status}/raiseEvent/{{eventName}}", $"{status}/terminate?reason={{text}}", status);
    }

    private static async Task<Results<Accepted<JobStartResponse>, ProblemHttpResult>> SubmitAsync(HttpRequest request, JobStarter starter,
        StorageAccount storage, CancellationToken ct)
    {
        (string Container, string Name, string ETag)? source;
        JobManifest? manifest;
        try
        {
            (source, manifest) = request.HasFormContentType
                ? await FromUploadAsync(request, storage, ct)
                : await FromBlobNamesAsync(request, storage, ct);
        }
        catch (BadRequestException e)
        {
            return TypedResults.Problem(statusCode: 400, title: "Bad job submission", detail: e.Message);
        }
        if (source is not { } blob)
            return TypedResults.Problem(statusCode: 404, title: "Blob not found", detail: "the named blob does not exist");
        var started = await starter.StartAsync(blob.Container, blob.Name, blob.ETag, manifest, ct);
        if (started is not { } job)
            return TypedResults.Problem(statusCode: 400, title: "Not a job input",
                detail: $"{blob.Name}: jobs start from .jsonl/.json data (chat, alpaca, sharegpt) or .pdf/.txt/.md/.docx documents");
        var response = StartResponse(request, job.JobId);
        request.HttpContext.Response.Headers.RetryAfter = "10";
        return TypedResults.Accepted(response.StatusQueryGetUri, response);
    }

    private static async Task<((string, string, string)?, JobManifest?)> FromUploadAsync(HttpRequest request, StorageAccount storage, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        JobManifest? manifest = null;
        if (form.Files.FirstOrDefault(f => f.FileName.EndsWith(JobStarter.ManifestSuffix, StringComparison.OrdinalIgnoreCase)) is { } manifestFile)
            manifest = ParseManifest(await new StreamReader(manifestFile.OpenReadStream()).ReadToEndAsync(ct), manifestFile.FileName);
        else if (form["manifest"].FirstOrDefault() is { } manifestText)
            manifest = ParseManifest(manifestText, "manifest");
        var data = form.Files.Where(f => !f.FileName.EndsWith(JobStarter.ManifestSuffix, StringComparison.OrdinalIgnoreCase)).ToList();
        if (data.Count != 1)
            throw new BadRequestException($"send exactly one data file per job (got {data.Count}); `finetune jobs submit` sends each file as its own job");
        var file = data[0];
        var fileName = Path.GetFileName(file.FileName.Replace('\\', '/'));
        if (fileName.Length == 0 || fileName.StartsWith('.') || JobStarter.KindOf(fileName) is null)
            throw new BadRequestException($"\"{file.FileName}\" is not a job input: use .jsonl/.json data or .pdf/.txt/.md/.docx documents");
        var name = $"api/{Guid.NewGuid():N}/{fileName}";
        // The manifest goes beside the data first: the uploads scan may see the data blob before this request starts its
        // job, and then finds the same manifest, so either path starts the same job.
        if (manifest is not null)
        {
            var stem = fileName.Contains('.') ? fileName[..fileName.IndexOf('.')] : fileName;
            await storage.Blobs.UploadTextAsync(Containers.Uploads, name[..(name.LastIndexOf('/') + 1)] + stem + JobStarter.ManifestSuffix,
                JsonSerializer.Serialize(manifest, JobJson.Options), ct: ct);
        }
        await using var stream = file.OpenReadStream();
        var written = await storage.Blobs.UploadAsync(Containers.Uploads, name, stream, BlobConditions.CreateOnly, ct);
        return ((Containers.Uploads, name, written.ETag), manifest);
    }

    private static async Task<((string, string, string)?, JobManifest?)> FromBlobNamesAsync(HttpRequest request, StorageAccount storage, CancellationToken ct)
    {
        JobSubmitRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JobSubmitRequest>(request.Body, JobJson.Options, ct);
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"the body is not valid JSON: {e.Message}");
        }
        var names = (body?.Blobs ?? []).Concat(body?.Blob is { } one ? [one] : []).ToList();
        if (names.Count != 1)
            throw new BadRequestException("name exactly one data blob: {\"blob\": \"uploads/data.jsonl\", \"manifest\": {…}} (or send a multipart upload)");
        var (container, name) = Split(names[0]);
        var props = await storage.Blobs.GetPropertiesAsync(container, name, ct);
        return (props is null ? null : (container, name, props.ETag), body!.Manifest);
    }

    private static (string Container, string Name) Split(string blob)
    {
        var trimmed = blob.TrimStart('/');
        var slash = trimmed.IndexOf('/');
        if (slash > 0 && Containers.All.Contains(trimmed[..slash])) return (trimmed[..slash], trimmed[(slash + 1)..]);
        return (Containers.Uploads, trimmed);
    }

    private static JobManifest ParseManifest(string text, string name)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<JobManifest>(text, JobJson.Options) ?? new JobManifest();
            var problems = manifest.Check();
            return problems.Count == 0 ? manifest : throw new BadRequestException($"{name}: {string.Join("; ", problems)}");
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"{name} is not valid JSON: {e.Message}");
        }
    }

    /// <summary>A status without server folders or storage endpoints (in an input the caller gave, an error, the trainer's last lines).</summary>
    private static JobStatusResponse Redacted(JobStatusResponse status, ServerDetails details) => status with
    {
        Input = details.Redact(status.Input),
        CustomStatus = details.Redact(status.CustomStatus),
        Output = details.Redact(status.Output),
        HistoryEvents = (JsonArray?)details.Redact(status.HistoryEvents),
    };

    private static async Task<IResult> StatusAsync(string id, HttpRequest request, DurableTaskClient client, ServerDetails details, bool? showHistory,
        CancellationToken ct)
    {
        var job = JobPaths.IsValidId(id) ? await client.GetInstanceAsync(id, getInputsAndOutputs: true, ct) : null;
        if (job is null) return TypedResults.Problem(statusCode: 404, title: "Job not found", detail: $"no job {id}");
        var body = Redacted(JobStatusResponse.From(job, BaseUri(request), showHistory == true), details);
        if (job.IsCompleted) return TypedResults.Ok(body);
        request.HttpContext.Response.Headers.Location = $"{BaseUri(request)}/api/jobs/{id}";
        request.HttpContext.Response.Headers.RetryAfter = "5";
        return TypedResults.Json(body, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<Results<Ok<List<JobStatusResponse>>, ProblemHttpResult>> ListAsync(HttpRequest request, DurableTaskClient client,
        ServerDetails details, string? runtimeStatus, int? top, CancellationToken ct)
    {
        List<OrchestrationRuntimeStatus>? filter = null;
        if (!string.IsNullOrWhiteSpace(runtimeStatus))
        {
            filter = [];
            foreach (var part in runtimeStatus.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Enum.TryParse<OrchestrationRuntimeStatus>(part, ignoreCase: true, out var status))
                    return TypedResults.Problem(statusCode: 400, title: "Unknown runtimeStatus", detail: $"\"{part}\" is not one of {string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}");
                filter.Add(status);
            }
        }
        var limit = top is > 0 ? Math.Min(top.Value, 1000) : 100;
        var jobs = new List<OrchestrationMetadata>();
        await foreach (var job in client.GetAllInstancesAsync(new OrchestrationQuery { Statuses = filter, FetchInputsAndOutputs = true, PageSize = 100 }).WithCancellation(ct))
            jobs.Add(job);
        var baseUri = BaseUri(request);
        return TypedResults.Ok(jobs.OrderByDescending(j => j.CreatedAt).Take(limit).Select(j => Redacted(JobStatusResponse.From(j, baseUri), details)).ToList());
    }

    private static async Task<IResult> RaiseEventAsync(string id, string eventName, JobControl control, CancellationToken ct) =>
        Map(JobPaths.IsValidId(id) ? await control.RaiseEventAsync(id, eventName, ct) : JobControl.Result.NotFound, id, eventName);

    private static async Task<IResult> TerminateAsync(string id, string? reason, JobControl control, CancellationToken ct) =>
        Map(JobPaths.IsValidId(id) ? await control.TerminateAsync(id, reason, ct) : JobControl.Result.NotFound, id, "terminate");

    private static async Task<IResult> PurgeAsync(string id, JobControl control, CancellationToken ct)
    {
        if (!JobPaths.IsValidId(id)) return TypedResults.Problem(statusCode: 404, title: "Job not found", detail: $"no job {id}");
        var (result, deleted) = await control.PurgeAsync(id, ct);
        return result switch
        {
            JobControl.Result.Done => TypedResults.Ok(new { instancesDeleted = 1, blobsDeleted = deleted }),
            JobControl.Result.Running => TypedResults.Problem(statusCode: 409, title: "Job is running", detail: $"terminate job {id} before purging it"),
            _ => TypedResults.Problem(statusCode: 404, title: "Job not found", detail: $"no job {id}"),
        };
    }

    private static IResult Map(JobControl.Result result, string id, string action) => result switch
    {
        JobControl.Result.Done => TypedResults.Accepted((string?)null),
        JobControl.Result.NotRunning => TypedResults.Problem(statusCode: 410, title: "Job has finished", detail: $"job {id} is no longer running"),
        JobControl.Result.NotWaiting => TypedResults.Problem(statusCode: 409, title: "Not at the gate",
            detail: $"job {id} is not waiting for approval; \"{action}\" is accepted only while the deployment gate waits"),
        JobControl.Result.UnknownEvent => TypedResults.Problem(statusCode: 400, title: "Unknown event",
            detail: $"\"{action}\" is not an event of this job; use {string.Join(" or ", JobControl.Events)}"),
        _ => TypedResults.Problem(statusCode: 404, title: "Job not found", detail: $"no job {id}"),
    };

    private static async Task<IResult> FileAsync(string id, string path, StorageAccount storage, CancellationToken ct)
    {
        if (!JobPaths.IsValidId(id) || path.Split('/').Any(s => s.Length == 0 || s.StartsWith('.')) || path.StartsWith("_", StringComparison.Ordinal))
            return TypedResults.Problem(statusCode: 404, title: "File not found");
        var download = await storage.Blobs.OpenReadAsync(Containers.Jobs, $"{id}/{path}", ct);
        if (download is null) return TypedResults.Problem(statusCode: 404, title: "File not found", detail: $"job {id} has no file {path}");
        var type = Path.GetExtension(path) switch { ".json" => "application/json", ".jsonl" => "application/jsonl", _ => "text/plain" };
        return TypedResults.Stream(download.Content, type);
    }

    private sealed class BadRequestException(string message) : Exception(message);
}
