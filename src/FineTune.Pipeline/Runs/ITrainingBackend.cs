using FineTune.Training.Contract;

namespace FineTune.Pipeline.Runs;

/// <summary>
/// Where training and evaluation run. The orchestration writes a spec to storage, starts a task here (an activity),
/// then polls it on durable timers; terminate cancels it. Implementations: <see cref="LocalProcessTrainingBackend"/>
/// (`finetune train --spec …` as a child process), <see cref="ContainerAppsJobBackend"/> (an Azure Container Apps job
/// execution over ARM REST).
/// </summary>
public interface ITrainingBackend
{
    string Name { get; }
    Task<TrainingRun> StartAsync(TrainingTask task, CancellationToken ct);
    Task<TrainingProgress> GetProgressAsync(TrainingRun run, CancellationToken ct);
    Task CancelAsync(TrainingRun run, CancellationToken ct);
}

/// <param name="Verb">"train" or "eval": the `finetune` verb that runs the task.</param>
/// <param name="Spec">The spec's storage address, "container/name" (e.g. jobs/{id}/train/spec.json).</param>
public sealed record TrainingTask(string JobId, string Verb, string Spec);

/// <param name="RunId">The backend's handle: a process id, an execution name.</param>
public sealed record TrainingRun(string Backend, string RunId);

public enum TrainingRunState
{
    Running,
    Succeeded,
    Failed,
    /// <summary>The backend no longer knows the run (e.g. the local host restarted): the stage starts it again, and it resumes from its checkpoints.</summary>
    Lost,
}

public sealed record TrainingProgress(TrainingRunState State, double? Progress = null, long? Step = null, double? Loss = null, string? Message = null, int? Epoch = null)
{
    /// <summary>This state with what the run reported (a progress line, the last metrics step line); the epoch counts whole epochs done.</summary>
    public TrainingProgress With(RunProgress p) => this with
    {
        Progress = p.Fraction, Step = p.Step ?? Step, Loss = p.Loss ?? Loss, Epoch = p.Epoch is { } e ? (int)Math.Floor(e) : Epoch,
    };
}
