using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Training;

namespace FineTune.Pipeline.Stages;

/// <summary>
/// Train and Evaluate: write the spec, start the task on the <see cref="ITrainingBackend"/>, remember the run in the job
/// state, then come back on a durable timer to read its progress into customStatus until it finishes.
/// </summary>
public abstract class BackendTaskStage(ITrainingBackend backend) : IJobStage
{
    public abstract JobStage Stage { get; }
    protected abstract string Verb { get; }
    protected abstract JobStage NextStage { get; }
    protected abstract string SpecName(string jobId);
    protected abstract JsonObject Spec(StageContext context);

    public async Task<StageOutcome> RunAsync(StageContext context, CancellationToken ct)
    {
        var runKey = $"{Verb}.run";
        if (context.Data(runKey) is not { } runId)
        {
            if (backend is NotConfiguredTrainingBackend)
                return new StageOutcome.Failed(NotConfiguredTrainingBackend.Reason);
            var specName = SpecName(context.JobId);
            await context.Storage.Blobs.UploadTextAsync(Containers.Jobs, specName, Spec(context).ToJsonString(JobJson.Options), ct: ct);
            var run = await backend.StartAsync(new TrainingTask(context.JobId, Verb, $"{Containers.Jobs}/{specName}"), ct);
            await context.SaveDataAsync(runKey, run.RunId, ct);
            await context.ReportAsync(new JsonObject { ["progress"] = 0.0, ["message"] = $"{Verb} started on {backend.Name}" }, ct);
            return new StageOutcome.Wait(context.Options.TrainingPollInterval);
        }

        var progress = await backend.GetProgressAsync(new TrainingRun(backend.Name, runId), ct);
        switch (progress.State)
        {
            case TrainingRunState.Succeeded:
                await context.SaveDataAsync($"{Verb}.done", "true", ct);
                return new StageOutcome.Next(NextStage);
            case TrainingRunState.Failed:
                return new StageOutcome.Failed($"{Verb} failed on {backend.Name}: {progress.Message}");
            case TrainingRunState.Lost:
                await context.SaveDataAsync(runKey, null, ct); // start again; the task resumes from its checkpoints
                return new StageOutcome.Wait(TimeSpan.FromMilliseconds(100));
            default:
                if (progress.Step is null && MetricsName(context.JobId) is { } metrics)
                    progress = await FromMetricsAsync(context, metrics, progress, ct);
                var status = new JsonObject();
                if (progress.Progress is { } fraction) status["progress"] = fraction;
                if (progress.Step is { } step) status["step"] = step;
                if (progress.Loss is { } loss) status["loss"] = loss;
                if (progress.Message is { } m) status["message"] = m;
                await context.ReportAsync(status, ct);
                return new StageOutcome.Wait(context.Options.TrainingPollInterval);
        }
    }

    /// <summary>The JSONL metrics blob the task appends to (one object per N steps), if it has one.</summary>
    protected virtual string? MetricsName(string jobId) => null;

    /// <summary>Step, loss and progress from the last line of the metrics blob (backends that cannot report them, e.g. Container Apps).</summary>
    private static async Task<TrainingProgress> FromMetricsAsync(StageContext context, string metricsName, TrainingProgress progress, CancellationToken ct)
    {
        var text = await context.Storage.Blobs.ReadTextAsync(Containers.Jobs, metricsName, ct);
        var last = text?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (last is null) return progress;
        try
        {
            var line = JsonNode.Parse(last) as JsonObject;
            return progress with
            {
                Step = line?["step"]?.GetValue<long>(),
                Loss = line?["loss"]?.GetValue<double>(),
                Progress = line?["progress"]?.GetValue<double>() ?? line?["fraction"]?.GetValue<double>() ?? progress.Progress,
            };
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return progress; // a line being written
        }
    }

    /// <summary>Cancels the job's task if one is running (terminate).</summary>
    public static async Task CancelAsync(ITrainingBackend backend, JobState job, CancellationToken ct)
    {
        foreach (var verb in new[] { "train", "eval" })
            if (job.StageData.TryGetValue($"{verb}.run", out var runId) && !job.StageData.ContainsKey($"{verb}.done"))
                await backend.CancelAsync(new TrainingRun(backend.Name, runId), ct);
    }
}
