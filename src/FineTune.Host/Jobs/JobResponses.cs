using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using Microsoft.DurableTask.Client;

namespace FineTune.Host.Jobs;

/// <summary>Durable Functions' start response (HTTP 202): where to poll, raise events, terminate, purge.</summary>
public sealed record JobStartResponse(string Id, string StatusQueryGetUri, string SendEventPostUri, string TerminatePostUri, string PurgeHistoryDeleteUri);

/// <summary>
/// Durable Functions' instance status shape. <c>output</c> is the orchestration's output when it completed; for a failed job
/// <c>{error, stage, report?}</c> (the failure message and where it happened); for a terminated one <c>{reason, stage}</c>.
/// </summary>
public sealed record JobStatusResponse(
    string Name,
    string InstanceId,
    string RuntimeStatus,
    JsonNode? Input,
    JsonNode? CustomStatus,
    JsonNode? Output,
    DateTimeOffset CreatedTime,
    DateTimeOffset LastUpdatedTime,
    JsonArray? HistoryEvents = null)
{
    public static JobStatusResponse From(OrchestrationMetadata job, string baseUri, bool showHistory = false)
    {
        var custom = Camel(Parse(job.SerializedCustomStatus)) as JsonObject;
        JsonNode? output = job.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Completed => Parse(job.SerializedOutput),
            OrchestrationRuntimeStatus.Failed => new JsonObject
            {
                ["error"] = custom?["error"]?.DeepClone() ?? job.FailureDetails?.ErrorMessage,
                ["stage"] = custom?["stage"]?.DeepClone(),
                ["reportUri"] = custom?["report"] is JsonValue report ? $"{baseUri}/api/jobs/{job.InstanceId}/files/{report}" : null,
            },
            OrchestrationRuntimeStatus.Terminated => new JsonObject
            {
                ["reason"] = Parse(job.SerializedOutput)?.DeepClone() ?? "terminated",
                ["stage"] = custom?["stage"]?.DeepClone(),
            },
            _ => null,
        };
        return new JobStatusResponse(job.Name, job.InstanceId, job.RuntimeStatus.ToString(), Camel(Parse(job.SerializedInput)), custom, Camel(output),
            job.CreatedAt, job.LastUpdatedAt, showHistory ? History(job, custom) : null);
    }

    /// <summary>
    /// The job's timeline as history events (StageStarted, StageCompleted, WaitingForEvent, EventRaised, Execution…), from the
    /// stage times the orchestration keeps in its custom status. The gate is reported as the start of Deploy, as before.
    /// </summary>
    private static JsonArray History(OrchestrationMetadata job, JsonObject? custom)
    {
        var events = new JsonArray();
        void Add(string type, JsonNode? at, string? stage, string? detail = null) =>
            events.Add(new JsonObject { ["eventType"] = type, ["timestamp"] = at?.DeepClone(), ["stage"] = stage, ["detail"] = detail });
        events.Add(new JsonObject { ["eventType"] = "ExecutionStarted", ["timestamp"] = job.CreatedAt });
        string? last = null;
        foreach (var node in custom?["stages"] as JsonArray ?? [])
        {
            var stage = node?["stage"]?.GetValue<string>();
            var shown = stage == "gate" ? "deploy" : stage;
            last = shown;
            Add("StageStarted", node?["started"], shown);
            if (node?["waited"] is { } waited) Add("WaitingForEvent", waited, shown, "approve or reject");
            if (node?["decision"] is { } decision) Add("EventRaised", node["completed"], shown, decision.GetValue<string>());
            if (node?["completed"] is { } completed && stage != "gate") Add("StageCompleted", completed, shown);
        }
        var end = JsonValue.Create(job.LastUpdatedAt);
        switch (job.RuntimeStatus)
        {
            case OrchestrationRuntimeStatus.Completed: Add("ExecutionCompleted", end, last); break;
            case OrchestrationRuntimeStatus.Failed: Add("ExecutionFailed", end, last, custom?["error"]?.GetValue<string>()); break;
            case OrchestrationRuntimeStatus.Terminated: Add("ExecutionTerminated", end, last); break;
        }
        return events;
    }

    /// <summary>Durable stores the contract records with their .NET names and nulls; the API answers in camelCase without nulls, like the rest of it.</summary>
    private static JsonNode? Camel(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var renamed = new JsonObject();
                foreach (var (key, value) in o.ToList())
                {
                    o.Remove(key);
                    if (value is null) continue; // absent, not null, as the rest of the API writes it
                    renamed[JsonNamingPolicy.CamelCase.ConvertName(key)] = Camel(value);
                }
                return renamed;
            case JsonArray a:
                var items = a.ToList();
                a.Clear();
                foreach (var item in items) a.Add(Camel(item));
                return a;
            default:
                return node;
        }
    }

    private static JsonNode? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return JsonValue.Create(json);
        }
    }
}

/// <summary>POST /api/jobs with a JSON body: start the job of an existing blob ("uploads/x.jsonl" or "x.jsonl" for uploads/).</summary>
public sealed record JobSubmitRequest(string? Blob, IReadOnlyList<string>? Blobs, JobManifest? Manifest);
