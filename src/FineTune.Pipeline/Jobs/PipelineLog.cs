using Microsoft.Extensions.Logging;

namespace FineTune.Pipeline.Jobs;

/// <summary>The pipeline's structured log messages. Never log connection strings, keys or message bodies.</summary>
internal static partial class PipelineLog
{
    [LoggerMessage(1, LogLevel.Information, "Job {JobId} created from {Container}/{Blob}")]
    public static partial void JobCreated(ILogger logger, string jobId, string container, string blob);

    [LoggerMessage(2, LogLevel.Information, "Job {JobId}: stage {Stage} → {Outcome}")]
    public static partial void StageFinished(ILogger logger, string jobId, string stage, string outcome);

    [LoggerMessage(3, LogLevel.Warning, "Job {JobId}: stage {Stage} attempt {Attempt} failed transiently, retrying in {Delay}")]
    public static partial void StageRetry(ILogger logger, string jobId, string stage, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "Job {JobId} failed in stage {Stage}: {Reason}")]
    public static partial void JobFailed(ILogger logger, string jobId, string stage, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Job {JobId}: lease lost during stage {Stage}; another worker takes over")]
    public static partial void LeaseLost(ILogger logger, string jobId, string stage);

    [LoggerMessage(6, LogLevel.Error, "Queue message for job {JobId} dequeued {Count} times; moved to the poison queue")]
    public static partial void Poison(ILogger logger, string jobId, long count);

    [LoggerMessage(7, LogLevel.Error, "Worker loop fault")]
    public static partial void WorkerFault(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Error, "Drop-zone scan fault")]
    public static partial void ScanFault(ILogger logger, Exception exception);

    [LoggerMessage(9, LogLevel.Information, "Re-enqueued {Count} unfinished jobs at start-up")]
    public static partial void Recovered(ILogger logger, int count);

    [LoggerMessage(10, LogLevel.Information, "Job {JobId} terminated: {Reason}")]
    public static partial void Terminated(ILogger logger, string jobId, string reason);
}
