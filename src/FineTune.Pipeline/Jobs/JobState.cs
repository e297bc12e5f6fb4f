using System.Text.Json.Nodes;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// The persisted state document of a job (<c>jobs/{id}/state.json</c>), guarded by its ETag: the truth about a job.
/// Mutated only through <see cref="JobStore.UpdateAsync"/>, which hands each attempt a fresh copy.
/// </summary>
public sealed class JobState
{
    public required string Id { get; init; }
    public string Name { get; init; } = "finetune";
    public RuntimeStatus RuntimeStatus { get; set; } = RuntimeStatus.Pending;
    public JobStage Stage { get; set; } = JobStage.Validate;
    public required JobInput Input { get; init; }
    /// <summary>Small progress object: stage, progress, step, loss, waitingFor, …</summary>
    public JsonObject? CustomStatus { get; set; }
    public JsonNode? Output { get; set; }
    public DateTimeOffset CreatedTime { get; init; }
    public DateTimeOffset LastUpdatedTime { get; set; }
    public List<HistoryEvent> History { get; init; } = [];
    /// <summary>Small per-stage facts that must survive a restart (e.g. the training run id).</summary>
    public Dictionary<string, string> StageData { get; init; } = [];
    /// <summary>External events raised and not yet consumed (approve, reject).</summary>
    public List<string> PendingEvents { get; init; } = [];

    public void AddEvent(string type, DateTimeOffset at, string? detail = null) =>
        History.Add(new HistoryEvent(type, at, Stage.ToString().ToLowerInvariant(), detail));
}
