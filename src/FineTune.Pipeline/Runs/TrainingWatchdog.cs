using FineTune.Pipeline.Activities;
using FineTune.Pipeline.Jobs;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FineTune.Pipeline.Runs;

/// <summary>
/// Stops local training processes whose job has ended (terminated from any host sharing the task hub: only the host that
/// started a process can kill it, and between durable timers nothing of the job runs), and removes the work folders of jobs
/// that have ended (on start-up, after a crash, and as jobs end on other hosts).
/// </summary>
public sealed class TrainingWatchdog(ITrainingBackend backend, DurableTaskClient client, IOptions<PipelineOptions> options,
    TimeProvider time, ILogger<TrainingWatchdog> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweeps = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (backend is LocalProcessTrainingBackend local) await StopOrphansAsync(local, stoppingToken);
                if (sweeps++ % 30 == 0) await SweepWorkFoldersAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                PipelineLog.WatchdogFault(logger, e);
            }
            try { await Task.Delay(Interval, time, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    private async Task StopOrphansAsync(LocalProcessTrainingBackend local, CancellationToken ct)
    {
        foreach (var (run, jobId) in local.Running)
        {
            var instance = await client.GetInstanceAsync(jobId, getInputsAndOutputs: false, ct);
            if (instance is null || instance.IsCompleted)
            {
                await local.CancelAsync(run, ct);
                PipelineLog.RunStopped(logger, run.RunId, jobId, instance?.RuntimeStatus.ToString() ?? "purged");
            }
        }
    }

    /// <summary>
    /// Deletes work folders whose job has ended in this task hub, and those of jobs it does not know that nothing has touched
    /// for a day (another hub or a standalone trainer may share the folder: a young unknown folder is not ours to delete).
    /// </summary>
    public async Task SweepWorkFoldersAsync(CancellationToken ct)
    {
        var root = options.Value.WorkDirectory;
        if (!Directory.Exists(root)) return;
        foreach (var folder in Directory.EnumerateDirectories(root))
        {
            var id = Path.GetFileName(folder);
            if (!JobPaths.IsValidId(id)) continue;
            var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct);
            var stale = time.GetUtcNow() - Directory.GetLastWriteTimeUtc(folder) > TimeSpan.FromDays(1);
            if (instance is { IsCompleted: true } || (instance is null && stale)) WorkFolder.Delete(folder);
        }
    }
}
