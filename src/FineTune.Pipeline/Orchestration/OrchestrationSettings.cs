namespace FineTune.Pipeline.Orchestration;

/// <summary>
/// The settings the orchestrator follows (from <see cref="PipelineOptions"/> when the job started). They travel in the job's
/// input, so a replay sees the same values even if the host's configuration changed meanwhile.
/// </summary>
public sealed record OrchestrationSettings(
    TimeSpan TrainingPollInterval,
    TimeSpan MaxTrainingPollInterval,
    TimeSpan MaxRunDuration,
    int ActivityMaxAttempts,
    TimeSpan ActivityFirstRetry,
    TimeSpan ActivityMaxRetry)
{
    public static OrchestrationSettings From(PipelineOptions o) =>
        new(o.TrainingPollInterval, o.MaxTrainingPollInterval, o.MaxRunDuration, o.ActivityMaxAttempts, o.ActivityFirstRetry, o.ActivityMaxRetry);

    public static OrchestrationSettings Default { get; } = From(new PipelineOptions());
}
