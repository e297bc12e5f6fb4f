using FineTune.Pipeline.Orchestration;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// The orchestration's timings and retry policy from configuration (Pipeline:*), read once at the start of a job. Durable
/// creates orchestrators without dependency injection, and an activity's result is recorded in the history, so a replay
/// sees the settings the job started with even when the configuration changed since.
/// </summary>
public sealed class ReadSettingsActivity(IOptions<PipelineOptions> options) : TaskActivity<object?, RunSettings>
{
    public override Task<RunSettings> RunAsync(TaskActivityContext context, object? input)
    {
        var o = options.Value;
        return Task.FromResult(new RunSettings(o.TrainingPollInterval, o.MaxTrainingPollInterval, o.MaxRunDuration,
            o.ActivityMaxAttempts, o.ActivityFirstRetry, o.ActivityMaxRetry));
    }
}
