using FineTune.Pipeline.Jobs;
using Microsoft.Extensions.Hosting;

namespace FineTune.Pipeline.Training;

/// <summary>
/// Stops local training processes whose job has finished (terminated from any host sharing the storage: only the
/// host that started a process can kill it, and between durable timers no stage of the job is running).
/// </summary>
public sealed class TrainingWatchdog(ITrainingBackend backend, JobStore jobs, PipelineOptions options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (backend is not LocalProcessTrainingBackend local) return;
        var interval = options.TrainingPollInterval < TimeSpan.FromSeconds(2) ? options.TrainingPollInterval : TimeSpan.FromSeconds(2);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stoppingToken);
                foreach (var (run, jobId) in local.Running)
                    if ((await jobs.GetAsync(jobId, stoppingToken))?.State.RuntimeStatus.IsTerminal() != false)
                        await local.CancelAsync(run, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IOException or Storage.StorageException)
            {
                // next round
            }
        }
    }
}
