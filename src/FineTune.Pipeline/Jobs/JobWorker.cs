using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// The queue trigger: receives wake messages (up to BatchSize jobs at once), advances each job, keeps the message
/// hidden while its job runs, and deletes it when the job needs nothing more now. Busy jobs (leased by another worker)
/// are retried after a lease period; messages dequeued more than MaxDequeueCount times fail their job (poison).
/// At start-up it re-enqueues every unfinished job, so work lost in a crash resumes.
/// </summary>
public sealed class JobWorker(StorageAccount storage, JobRunner runner, WorkerSignal signal, PipelineOptions options, ILogger<JobWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.RunWorkers) return;
        await Task.Yield();
        PipelineLog.Recovered(logger, await runner.RecoverAsync(stoppingToken));
        using var slots = new SemaphoreSlim(options.BatchSize);
        var running = new List<Task>();
        var idle = options.MinPollingInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(stoppingToken);
                var free = slots.CurrentCount + 1;
                var messages = await storage.Queues.ReceiveAsync(Containers.JobQueue, free, options.VisibilityTimeout, stoppingToken);
                if (messages.Count == 0)
                {
                    slots.Release();
                    await signal.WaitAsync(idle, stoppingToken);
                    idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, options.MaxPollingInterval.Ticks));
                    continue;
                }
                idle = options.MinPollingInterval;
                for (var i = 1; i < messages.Count; i++) await slots.WaitAsync(stoppingToken);
                foreach (var message in messages)
                    running.Add(Task.Run(async () =>
                    {
                        try { await ProcessAsync(message, stoppingToken); }
                        finally { slots.Release(); }
                    }, CancellationToken.None));
                running.RemoveAll(t => t.IsCompleted);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                PipelineLog.WorkerFault(logger, e);
                await Task.Delay(options.MaxPollingInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        await Task.WhenAll(running).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        var queue = storage.Queues;
        if (WakeMessage.TryParse(message.Text) is not { } wake)
        {
            await queue.SendAsync(Containers.JobPoisonQueue, message.Text, ct: CancellationToken.None);
            await queue.DeleteAsync(Containers.JobQueue, message, CancellationToken.None);
            return;
        }
        if (message.DequeueCount > options.MaxDequeueCount)
        {
            PipelineLog.Poison(logger, wake.JobId, message.DequeueCount);
            await runner.FailPoisonedAsync(wake.JobId, message.DequeueCount, stoppingToken);
            await queue.SendAsync(Containers.JobPoisonQueue, message.Text, ct: stoppingToken);
            await queue.DeleteAsync(Containers.JobQueue, message, stoppingToken);
            return;
        }

        var current = message;
        using var stop = new CancellationTokenSource();
        var keepHidden = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    await Task.Delay(options.VisibilityTimeout / 3, stop.Token);
                    current = await queue.UpdateVisibilityAsync(Containers.JobQueue, current, options.VisibilityTimeout, stop.Token) ?? current;
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e) when (e is StorageException or IOException)
            {
                // the message reappears; the job's lease keeps a second worker out
            }
        }, CancellationToken.None);

        JobRunner.Result result;
        try
        {
            result = await runner.AdvanceAsync(wake.JobId, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return; // shutting down: the message reappears
        }
        catch (Exception e)
        {
            PipelineLog.WorkerFault(logger, e);
            return; // the message reappears after its visibility timeout
        }
        finally
        {
            await stop.CancelAsync();
            await keepHidden;
        }
        if (result == JobRunner.Result.Busy)
            await queue.UpdateVisibilityAsync(Containers.JobQueue, current, options.LeaseDuration / 2, CancellationToken.None);
        else
            await queue.DeleteAsync(Containers.JobQueue, current, CancellationToken.None);
    }
}
