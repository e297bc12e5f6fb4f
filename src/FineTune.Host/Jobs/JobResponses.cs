using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;

namespace FineTune.Host.Jobs;

/// <summary>Durable Functions' start response (HTTP 202): where to poll, raise events, terminate, purge.</summary>
public sealed record JobStartResponse(string Id, string StatusQueryGetUri, string SendEventPostUri, string TerminatePostUri, string PurgeHistoryDeleteUri);

/// <summary>Durable Functions' instance status shape.</summary>
public sealed record JobStatusResponse(
    string Name,
    string InstanceId,
    RuntimeStatus RuntimeStatus,
    JobInput Input,
    JsonObject? CustomStatus,
    JsonNode? Output,
    DateTimeOffset CreatedTime,
    DateTimeOffset LastUpdatedTime,
    IReadOnlyList<HistoryEvent>? HistoryEvents)
{
    public static JobStatusResponse From(JobState job, bool showHistory, string baseUri)
    {
        var output = job.Output?.DeepClone();
        // Relative links in outputs (the validation report) become absolute, as Durable's URIs are.
        if (output is JsonObject o && o["reportUri"] is JsonValue v && v.GetValue<string>() is { } link && link.StartsWith('/'))
            o["reportUri"] = baseUri + link;
        return new JobStatusResponse(job.Name, job.Id, job.RuntimeStatus, job.Input, (JsonObject?)job.CustomStatus?.DeepClone(), output,
            job.CreatedTime, job.LastUpdatedTime, showHistory ? job.History : null);
    }
}

/// <summary>POST /api/jobs with a JSON body: start the job of an existing blob ("uploads/x.jsonl" or "x.jsonl" for uploads/).</summary>
public sealed record JobSubmitRequest(string? Blob, IReadOnlyList<string>? Blobs, JobManifest? Manifest);
