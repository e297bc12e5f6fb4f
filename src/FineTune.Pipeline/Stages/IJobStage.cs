using FineTune.Pipeline.Jobs;

namespace FineTune.Pipeline.Stages;

/// <summary>
/// One stage of a job. A stage is idempotent: it writes its outputs to deterministic paths (<see cref="JobPaths"/>)
/// and, run again after a crash, finds them and finishes instead of starting over.
/// Expected failures (bad data) are outcomes; transient faults are exceptions the runner retries;
/// <see cref="PermanentStageException"/> fails the job with its message.
/// </summary>
public interface IJobStage
{
    JobStage Stage { get; }
    Task<StageOutcome> RunAsync(StageContext context, CancellationToken ct);
}
