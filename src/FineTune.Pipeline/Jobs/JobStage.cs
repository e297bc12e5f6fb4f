using System.Text.Json.Serialization;

namespace FineTune.Pipeline.Jobs;

/// <summary>The stages of a job, in order. Synthesize runs for documents only.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobStage>))]
public enum JobStage
{
    [JsonStringEnumMemberName("validate")] Validate,
    [JsonStringEnumMemberName("synthesize")] Synthesize,
    [JsonStringEnumMemberName("prepare")] Prepare,
    [JsonStringEnumMemberName("train")] Train,
    [JsonStringEnumMemberName("evaluate")] Evaluate,
    [JsonStringEnumMemberName("deploy")] Deploy,
}
