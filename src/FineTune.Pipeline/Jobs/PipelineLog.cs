using Microsoft.Extensions.Logging;

namespace FineTune.Pipeline.Jobs;

/// <summary>The pipeline's structured log messages. Never log connection strings, keys or message bodies.</summary>
internal static partial class PipelineLog
{
    [LoggerMessage(1, LogLevel.Information, "Job {JobId} started from {Container}/{Blob}")]
    public static partial void JobCreated(ILogger logger, string jobId, string container, string blob);

    [LoggerMessage(2, LogLevel.Warning, "Scan of {What} failed; retrying")]
    public static partial void ScanFault(ILogger logger, string what, Exception exception);

    [LoggerMessage(3, LogLevel.Error, "Could not start the job of {Blob}; the next pass tries again")]
    public static partial void StartFault(ILogger logger, string blob, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "A file in the {Container} drop folder was skipped: {Problem}")]
    public static partial void SkippedName(ILogger logger, string container, string problem);

    [LoggerMessage(5, LogLevel.Information, "Job {JobId} terminated: {Reason}")]
    public static partial void Terminated(ILogger logger, string jobId, string reason);

    [LoggerMessage(6, LogLevel.Information, "Stopped run {RunId} of job {JobId}: the job is {Status}")]
    public static partial void RunStopped(ILogger logger, string runId, string jobId, string status);

    [LoggerMessage(7, LogLevel.Warning, "Watchdog pass failed")]
    public static partial void WatchdogFault(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "Could not cancel run {RunId} of job {JobId}")]
    public static partial void CancelFault(ILogger logger, string runId, string jobId, Exception exception);

    [LoggerMessage(9, LogLevel.Error, "Activity {Activity} of {InstanceId} failed unexpectedly")]
    public static partial void ActivityFault(ILogger logger, string activity, string instanceId, Exception exception);

    [LoggerMessage(10, LogLevel.Warning, "Activity {Activity} of {InstanceId} refused: {Reason}")]
    public static partial void ActivityRefused(ILogger logger, string activity, string instanceId, string reason);
}
