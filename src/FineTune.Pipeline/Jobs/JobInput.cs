using System.Text.Json.Serialization;

namespace FineTune.Pipeline.Jobs;

/// <summary>What started a job: the data blob (pinned to the version that started it) and the manifest read then.</summary>
public sealed record JobInput(SourceBlob Source, JobManifest Manifest, JobKind Kind, string? ManifestBlob = null);

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
