using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;
using FineTune.Pipeline;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Runs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FineTune.Functions;

/// <summary>
/// What starts and steers jobs: the uploads blob trigger and the job API. Each function builds the shared
/// <see cref="JobStarter"/> or <see cref="JobControl"/> around the DurableTaskClient its [DurableClient] binding gives.
/// Status, raise event, terminate and purge are otherwise Durable's own HTTP management API, served by the Functions host
/// (the statusQueryGetUri, sendEventPostUri, terminatePostUri and purgeHistoryDeleteUri of a start response).
/// </summary>
public sealed class Jobs(StorageAccount storage, ManifestChecker checker, ITrainingBackend backend, IOptions<PipelineOptions> options,
    ILogger<JobStarter> starterLog, ILogger<JobControl> controlLog)
{
    /// <summary>
    /// Where the uploads trigger learns of new blobs. In Azure: Event Grid (an event subscription on the account's
    /// BlobCreated events, filtered to /blobServices/default/containers/uploads/, delivering to the blobs_extension webhook).
    /// `func start` against Azurite has no Event Grid: build with -p:BlobTriggerPolling=true for the polling source.
    /// </summary>
#if BLOB_TRIGGER_POLLING
    internal const BlobTriggerSource UploadsSource = BlobTriggerSource.LogsAndContainerScan;
#else
    internal const BlobTriggerSource UploadsSource = BlobTriggerSource.EventGrid;
#endif

    internal const int DefaultTop = 100;
    internal const int MaxTop = 1000;

    private JobStarter Starter(DurableTaskClient client) => new(client, storage, checker, options, starterLog);
    private JobControl Control(DurableTaskClient client) => new(client, storage, backend, controlLog);

    /// <summary>A blob in uploads/ (data or documents) starts the job of that blob version; manifests and other files start none.</summary>
    [Function("UploadsBlobTrigger")]
    public async Task UploadsBlobTrigger(
        [BlobTrigger(Containers.Uploads + "/{name}", Source = UploadsSource)] BlobClient blob,
        [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        if (JobStarter.KindOf(blob.Name) is null) return;
        // The version now there: the job is named after its ETag, so every trigger of the same version names the same job.
        if (await storage.Blobs.GetPropertiesAsync(blob.BlobContainerName, blob.Name, ct) is not { } props) return; // deleted since
        await Starter(client).StartAsync(blob.BlobContainerName, blob.Name, props.ETag, ct: ct);
    }

    /// <summary>POST /api/jobs {"blob":"uploads/x.jsonl","manifest":{…}}: starts (or finds) the blob version's job; Durable's 202.</summary>
    [Function("StartJob")]
    public async Task<HttpResponseData> StartJob(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "jobs")] HttpRequestData req,
        [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        SubmitRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<SubmitRequest>(req.Body, JobJson.Options, ct);
        }
        catch (JsonException e)
        {
            return await ProblemAsync(req, HttpStatusCode.BadRequest, "Bad job submission", $"the body is not valid JSON: {e.Message}");
        }
        if (string.IsNullOrWhiteSpace(body?.Blob))
            return await ProblemAsync(req, HttpStatusCode.BadRequest, "Bad job submission", "name one data blob: {\"blob\": \"uploads/data.jsonl\", \"manifest\": {…}}");
        if (body.Manifest?.Check() is { Count: > 0 } problems)
            return await ProblemAsync(req, HttpStatusCode.BadRequest, "Bad job submission", $"manifest: {string.Join("; ", problems)}");
        var (container, name) = SplitBlob(body.Blob);
        if (JobStarter.KindOf(name) is null)
            return await ProblemAsync(req, HttpStatusCode.BadRequest, "Not a job input",
                $"{name}: jobs start from .jsonl/.json data (chat, alpaca, sharegpt) or .pdf/.txt/.md/.docx documents");
        if (await storage.Blobs.GetPropertiesAsync(container, name, ct) is not { } props)
            return await ProblemAsync(req, HttpStatusCode.NotFound, "Blob not found", $"{container}/{name} does not exist");
        var started = await Starter(client).StartAsync(container, name, props.ETag, body.Manifest, ct);
        if (started is null)
            return await ProblemAsync(req, HttpStatusCode.BadRequest, "Not a job input", $"{name} is not a job input");
        return await client.CreateCheckStatusResponseAsync(req, started.JobId, ct);
    }

    /// <summary>GET /api/jobs?runtimeStatus=Running,Completed&amp;top=50: the jobs, newest first as the store returns them.</summary>
    [Function("ListJobs")]
    public async Task<HttpResponseData> ListJobs(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "jobs")] HttpRequestData req,
        [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        var query = System.Web.HttpUtility.ParseQueryString(req.Url.Query);
        var statuses = new List<OrchestrationRuntimeStatus>();
        foreach (var part in (query["runtimeStatus"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<OrchestrationRuntimeStatus>(part, ignoreCase: true, out var status) || int.TryParse(part, out _))
                return await ProblemAsync(req, HttpStatusCode.BadRequest, "Unknown runtimeStatus",
                    $"\"{part}\" is not one of {string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}");
            statuses.Add(status);
        }
        var top = DefaultTop;
        if (query["top"] is { } topText && (!int.TryParse(topText, out top) || top < 1 || top > MaxTop))
            return await ProblemAsync(req, HttpStatusCode.BadRequest, "Bad top", $"top is a number from 1 to {MaxTop}");

        var filter = new OrchestrationQuery { Statuses = statuses.Count == 0 ? null : statuses, PageSize = top, FetchInputsAndOutputs = false };
        var jobs = new List<JobSummary>();
        await foreach (var instance in client.GetAllInstancesAsync(filter).WithCancellation(ct))
        {
            jobs.Add(JobSummary.From(instance));
            if (jobs.Count >= top) break;
        }
        var response = req.CreateResponse(HttpStatusCode.OK);
        await response.WriteStringAsync(JsonSerializer.Serialize(jobs, JobJson.Options), ct);
        response.Headers.Add("Content-Type", "application/json; charset=utf-8");
        return response;
    }

    [Function("ApproveJob")]
    public async Task<HttpResponseData> ApproveJob(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "jobs/{id}/approve")] HttpRequestData req, string id,
        [DurableClient] DurableTaskClient client, CancellationToken ct) =>
        await ControlResponseAsync(req, id, await Control(client).RaiseEventAsync(id, FineTune.Pipeline.Orchestration.FineTuneOrchestrator.Approve, ct), ct);

    [Function("RejectJob")]
    public async Task<HttpResponseData> RejectJob(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "jobs/{id}/reject")] HttpRequestData req, string id,
        [DurableClient] DurableTaskClient client, CancellationToken ct) =>
        await ControlResponseAsync(req, id, await Control(client).RaiseEventAsync(id, FineTune.Pipeline.Orchestration.FineTuneOrchestrator.Reject, ct), ct);

    /// <summary>POST /api/jobs/{id}/terminate?reason=…: terminates the job and cancels its training run.</summary>
    [Function("TerminateJob")]
    public async Task<HttpResponseData> TerminateJob(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "jobs/{id}/terminate")] HttpRequestData req, string id,
        [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        var reason = System.Web.HttpUtility.ParseQueryString(req.Url.Query)["reason"];
        return await ControlResponseAsync(req, id, await Control(client).TerminateAsync(id, reason, ct), ct);
    }

    internal static (string Container, string Name) SplitBlob(string blob)
    {
        var trimmed = blob.Trim().TrimStart('/');
        var slash = trimmed.IndexOf('/');
        if (slash > 0 && Containers.All.Contains(trimmed[..slash])) return (trimmed[..slash], trimmed[(slash + 1)..]);
        return (Containers.Uploads, trimmed);
    }

    internal static HttpStatusCode StatusOf(JobControl.Result result) => result switch
    {
        JobControl.Result.Done => HttpStatusCode.Accepted,
        JobControl.Result.NotFound => HttpStatusCode.NotFound,
        JobControl.Result.NotRunning => HttpStatusCode.Gone,
        JobControl.Result.NotWaiting => HttpStatusCode.Conflict,
        JobControl.Result.Running => HttpStatusCode.Conflict,
        _ => HttpStatusCode.BadRequest,
    };

    private static async Task<HttpResponseData> ControlResponseAsync(HttpRequestData req, string id, JobControl.Result result, CancellationToken ct) =>
        result switch
        {
            JobControl.Result.Done => req.CreateResponse(HttpStatusCode.Accepted),
            JobControl.Result.NotFound => await ProblemAsync(req, StatusOf(result), "Job not found", $"no job {id}", ct),
            JobControl.Result.NotRunning => await ProblemAsync(req, StatusOf(result), "Job has finished", $"job {id} is no longer running", ct),
            JobControl.Result.NotWaiting => await ProblemAsync(req, StatusOf(result), "Job is not waiting for approval",
                $"job {id} is not at its approval gate: approve and reject are accepted only while it waits there", ct),
            _ => await ProblemAsync(req, StatusOf(result), "Bad request", $"job {id}: {result}", ct),
        };

    /// <summary>An RFC 9457 problem details response.</summary>
    internal static async Task<HttpResponseData> ProblemAsync(HttpRequestData req, HttpStatusCode status, string title, string detail, CancellationToken ct = default)
    {
        var response = req.CreateResponse(status);
        var body = new { type = $"https://tools.ietf.org/html/rfc9110#section-15.{((int)status < 500 ? "5" : "6")}", title, status = (int)status, detail };
        await response.WriteStringAsync(JsonSerializer.Serialize(body, JobJson.Options), ct);
        response.Headers.Add("Content-Type", "application/problem+json; charset=utf-8");
        return response;
    }

    internal sealed record SubmitRequest(string? Blob, JobManifest? Manifest);

    /// <summary>A job in the list, in Durable's status shape (without input and output).</summary>
    internal sealed record JobSummary(string Name, string InstanceId, string RuntimeStatus, JsonElement? CustomStatus,
        DateTimeOffset CreatedTime, DateTimeOffset LastUpdatedTime)
    {
        public static JobSummary From(OrchestrationMetadata instance) => new(instance.Name, instance.InstanceId,
            instance.RuntimeStatus.ToString(), ParseOrNull(instance.SerializedCustomStatus), instance.CreatedAt, instance.LastUpdatedAt);

        private static JsonElement? ParseOrNull(string? json)
        {
            if (string.IsNullOrEmpty(json)) return null;
            try
            {
                using var doc = JsonDocument.Parse(json);
                return doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                return JsonSerializer.SerializeToElement(json);
            }
        }
    }
}
