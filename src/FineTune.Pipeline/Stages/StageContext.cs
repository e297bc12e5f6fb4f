using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;

namespace FineTune.Pipeline.Stages;

/// <summary>What a stage attempt gets: a snapshot of the job, storage, and ways to persist progress and small facts.</summary>
public sealed class StageContext(JobState job, StorageAccount storage, JobStore jobs, PipelineOptions options)
{
    public JobState Job { get; private set; } = job;
    public StorageAccount Storage { get; } = storage;
    public PipelineOptions Options { get; } = options;
    public TimeProvider Time => jobs.Time;
    public string JobId => Job.Id;

    /// <summary>Sets customStatus (stage is filled in) while the job is still on this stage and not finished.</summary>
    public async Task ReportAsync(JsonObject status, CancellationToken ct)
    {
        status["stage"] = Job.Stage.ToString().ToLowerInvariant();
        var stage = Job.Stage;
        var updated = await jobs.UpdateAsync(JobId, s =>
        {
            if (s.RuntimeStatus.IsTerminal() || s.Stage != stage) return false;
            s.CustomStatus = (JsonObject)status.DeepClone();
            return true;
        }, ct);
        if (updated is not null) Job = updated;
    }

    /// <summary>Persists a fact (e.g. a run id) at once, so a restart finds it.</summary>
    public async Task SaveDataAsync(string key, string? value, CancellationToken ct)
    {
        var updated = await jobs.UpdateAsync(JobId, s =>
        {
            if (value is null) return s.StageData.Remove(key);
            s.StageData[key] = value;
            return true;
        }, ct);
        if (updated is not null) Job = updated;
    }

    public string? Data(string key) => Job.StageData.GetValueOrDefault(key);
}
