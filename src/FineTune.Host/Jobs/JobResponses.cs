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
    DateTimeOffset LastUpdatedTime)
{
    public static JobStatusResponse From(OrchestrationMetadata job, string baseUri)
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
            job.CreatedAt, job.LastUpdatedAt);
    }

    /// <summary>Durable stores the contract records with their .NET names; the API answers in camelCase like the rest of it.</summary>
    private static JsonNode? Camel(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var renamed = new JsonObject();
                foreach (var (key, value) in o.ToList())
                {
                    o.Remove(key);
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
