using FineTune.Pipeline.Stages;

namespace FineTune.Pipeline.Training;

/// <summary>The default: no engine is wired yet, so Train, Evaluate and Deploy fail the job saying so.</summary>
public sealed class NotConfiguredTrainingBackend : ITrainingBackend
{
    public const string Reason = "no training backend configured: set Pipeline:Training:Backend to \"local\" (runs `finetune train --spec …`) or \"containerapps\"";

    public string Name => "none";
    public Task<TrainingRun> StartAsync(TrainingTask task, CancellationToken ct) => throw new PermanentStageException(Reason);
    public Task<TrainingProgress> GetProgressAsync(TrainingRun run, CancellationToken ct) => throw new PermanentStageException(Reason);
    public Task CancelAsync(TrainingRun run, CancellationToken ct) => Task.CompletedTask;
}
