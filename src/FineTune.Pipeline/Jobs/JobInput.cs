using System.Text.Json.Serialization;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// The orchestration's input: the data blob (pinned to the version that started the job) and the manifest read then.
/// <paramref name="Rejected"/> carries why the job cannot run at all (a bad file name, an invalid manifest): the
/// orchestration then fails at once with that reason, so the file still gets a job a user can look up. <paramref name="Settings"/>:
/// what the orchestrator follows (poll intervals, retries), fixed when the job starts.
/// </summary>
public sealed record JobInput(SourceBlob Source, JobManifest Manifest, JobKind Kind, string? ManifestBlob = null, string? Rejected = null,
    Orchestration.OrchestrationSettings? Settings = null);

/// <summary>A blob version: container, name, ETag.</summary>
public sealed record SourceBlob(string Container, string Name, string ETag);

[JsonConverter(typeof(JsonStringEnumConverter<JobKind>))]
public enum JobKind
{
    /// <summary>chat / alpaca / sharegpt training data.</summary>
    [JsonStringEnumMemberName("data")] Data,
    /// <summary>PDF / TXT / MD / DOCX: synthesized into Q&amp;A first.</summary>
    [JsonStringEnumMemberName("documents")] Documents,
}
