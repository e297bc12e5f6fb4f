using System.Text.Json.Nodes;
using FineTune.Pipeline.Stages;
using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// Advances one job as far as it can go now: takes the job's lease (no two workers run a stage of one job at once),
/// runs the current stage with Polly (retries with jittered exponential backoff for transient faults, a timeout per
/// attempt), and commits the outcome to the ETag-guarded state document before moving on. A crash anywhere leaves the
/// state at the last committed stage; the undeleted queue message (or start-up recovery) runs that stage again.
/// </summary>
public sealed class JobRunner
{
    private readonly StorageAccount _storage;
    private readonly JobStore _jobs;
    private readonly JobStarter _starter;
    private readonly Dictionary<JobStage, IJobStage> _stages;
    private readonly PipelineOptions _options;
    private readonly ILogger<JobRunner> _logger;
    private readonly ResiliencePipeline _resilience;

    public JobRunner(StorageAccount storage, JobStore jobs, JobStarter starter, IEnumerable<IJobStage> stages, PipelineOptions options,
        ILogger<JobRunner> logger)
    {
        _storage = storage;
        _jobs = jobs;
        _starter = starter;
        _stages = stages.ToDictionary(s => s.Stage);
        _options = options;
        _logger = logger;
        var retry = new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = Math.Max(1, options.MaxRetries),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryDelay,
            MaxDelay = options.MaxRetryDelay,
            OnRetry = args =>
            {
                var (jobId, stage) = args.Context.Properties.GetValue(StageKey, ("?", "?"));
                PipelineLog.StageRetry(_logger, jobId, stage, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception!);
                return ValueTask.CompletedTask;
            },
        };
        var builder = new ResiliencePipelineBuilder();
        if (options.MaxRetries > 0) builder.AddRetry(retry);
        _resilience = builder.AddTimeout(options.StageTimeout).Build();
    }

    private static readonly ResiliencePropertyKey<(string, string)> StageKey = new("finetune.stage");

    public enum Result
    {
        /// <summary>Nothing more to do now (finished, waiting on a timer or an event): delete the message.</summary>
        Done,
        /// <summary>Another worker holds the job: try the message again later.</summary>
        Busy,
    }

    public async Task<Result> AdvanceAsync(string jobId, CancellationToken ct)
    {
        var first = await _jobs.GetAsync(jobId, ct);
        if (first is null || first.Value.State.RuntimeStatus.IsTerminal()) return Result.Done;

        var blobs = _storage.Blobs;
        var leaseBlob = JobPaths.Lease(jobId);
        await blobs.TryCreateAsync(Containers.Jobs, leaseBlob, ReadOnlyMemory<byte>.Empty, ct);
        var leaseId = await blobs.TryAcquireLeaseAsync(Containers.Jobs, leaseBlob, _options.LeaseDuration, ct);
        if (leaseId is null) return Result.Busy;

        using var stageCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var leaseLost = false;
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = Task.Run(async () =>
        {
            try
            {
                while (!heartbeatStop.IsCancellationRequested)
                {
                    await Task.Delay(_options.LeaseDuration / 3, heartbeatStop.Token);
                    await blobs.RenewLeaseAsync(Containers.Jobs, leaseBlob, leaseId, heartbeatStop.Token);
                    // Terminated from the API while a stage runs: stop the stage.
                    if ((await _jobs.GetAsync(jobId, heartbeatStop.Token))?.State.RuntimeStatus.IsTerminal() == true)
                        await stageCts.CancelAsync();
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (StorageConflictException)
            {
                leaseLost = true;
                await stageCts.CancelAsync();
            }
        }, CancellationToken.None);

        try
        {
            while (true)
            {
                var current = await _jobs.GetAsync(jobId, ct);
                if (current is null || current.Value.State.RuntimeStatus.IsTerminal()) return Result.Done;
                var state = current.Value.State;
                var stageName = Name(state.Stage);
                var started = await _jobs.UpdateAsync(jobId, s =>
                {
                    if (s.RuntimeStatus.IsTerminal() || s.Stage != state.Stage) return false;
                    if (s.RuntimeStatus == RuntimeStatus.Pending)
                    {
                        s.RuntimeStatus = RuntimeStatus.Running;
                        s.AddEvent("ExecutionStarted", _jobs.Time.GetUtcNow());
                    }
                    // A durable timer firing is not a new start (keeps the history small during long training).
                    if (!IsTimerOf(s, s.Stage)) s.AddEvent("StageStarted", _jobs.Time.GetUtcNow(), $"by {_options.WorkerName}");
                    return true;
                }, ct);
                if (started is null || started.RuntimeStatus.IsTerminal() || started.Stage != state.Stage) return Result.Done;

                var outcome = await RunStageAsync(started, stageCts.Token, ct);
                if (leaseLost)
                {
                    PipelineLog.LeaseLost(_logger, jobId, stageName);
                    return Result.Done;
                }
                if (outcome is null) return Result.Done; // cancelled because the job was terminated
                // Still ours? (a renewal right before the commit narrows the window to milliseconds)
                await blobs.RenewLeaseAsync(Containers.Jobs, leaseBlob, leaseId, ct);
                var committed = await CommitAsync(jobId, started.Stage, outcome, ct);
                PipelineLog.StageFinished(_logger, jobId, stageName, outcome.GetType().Name);
                if (committed is null || committed.RuntimeStatus.IsTerminal()) return Result.Done;
                switch (outcome)
                {
                    case StageOutcome.Next:
                        continue;
                    case StageOutcome.Wait wait:
                        await _storage.Queues.SendAsync(Containers.JobQueue, new WakeMessage(jobId).ToJson(), wait.Delay, ct);
                        return Result.Done;
                    case StageOutcome.WaitForEvent waitFor:
                        if (committed.PendingEvents.Intersect(waitFor.EventNames, StringComparer.OrdinalIgnoreCase).Any()) continue;
                        return Result.Done;
                    default:
                        return Result.Done;
                }
            }
        }
        catch (StorageConflictException) when (leaseLost)
        {
            PipelineLog.LeaseLost(_logger, jobId, "?");
            return Result.Done;
        }
        finally
        {
            await heartbeatStop.CancelAsync();
            await heartbeat;
            if (!leaseLost)
            {
                try
                {
                    await blobs.ReleaseLeaseAsync(Containers.Jobs, leaseBlob, leaseId, CancellationToken.None);
                }
                catch (Exception e) when (e is StorageConflictException or StorageException or IOException)
                {
                    // expires on its own
                }
            }
        }
    }

    /// <summary>The stage's outcome; faults become a Failed outcome; null when cancelled by a terminate.</summary>
    private async Task<StageOutcome?> RunStageAsync(JobState job, CancellationToken stageToken, CancellationToken hostToken)
    {
        var stage = _stages.TryGetValue(job.Stage, out var s) ? s : throw new InvalidOperationException($"no stage {job.Stage}");
        var context = ResilienceContextPool.Shared.Get(stageToken);
        context.Properties.Set(StageKey, (job.Id, Name(job.Stage)));
        try
        {
            return await _resilience.ExecuteAsync(
                async ctx => await stage.RunAsync(new StageContext(job, _storage, _jobs, _options), ctx.CancellationToken),
                context);
        }
        catch (OperationCanceledException) when (stageToken.IsCancellationRequested)
        {
            hostToken.ThrowIfCancellationRequested(); // host shutting down: leave the message for later
            return null;
        }
        catch (PermanentStageException e)
        {
            return new StageOutcome.Failed(e.Message);
        }
        catch (Exception e) when (IsTransient(e))
        {
            return new StageOutcome.Failed($"{Name(job.Stage)} failed after {_options.MaxRetries + 1} attempts: {e.Message}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new StageOutcome.Failed($"{Name(job.Stage)} failed: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<JobState?> CommitAsync(string jobId, JobStage stage, StageOutcome outcome, CancellationToken ct)
    {
        var now = _jobs.Time.GetUtcNow();
        var committed = await _jobs.UpdateAsync(jobId, s =>
        {
            if (s.RuntimeStatus.IsTerminal() || s.Stage != stage) return false; // ends exactly once
            switch (outcome)
            {
                case StageOutcome.Next next:
                    s.AddEvent("StageCompleted", now);
                    s.Stage = next.Stage;
                    s.CustomStatus = new JsonObject { ["stage"] = Name(next.Stage), ["progress"] = 0.0 };
                    break;
                case StageOutcome.Completed done:
                    s.AddEvent("StageCompleted", now);
                    s.RuntimeStatus = RuntimeStatus.Completed;
                    s.Output = done.Output?.DeepClone();
                    s.CustomStatus = new JsonObject { ["stage"] = Name(stage), ["progress"] = 1.0 };
                    s.AddEvent("ExecutionCompleted", now);
                    break;
                case StageOutcome.Failed failed:
                    s.RuntimeStatus = RuntimeStatus.Failed;
                    var output = (JsonObject?)failed.Details?.DeepClone() ?? [];
                    output["error"] = failed.Reason;
                    output["stage"] = Name(stage);
                    s.Output = output;
                    s.AddEvent("ExecutionFailed", now, failed.Reason);
                    break;
                case StageOutcome.Wait wait:
                    if (IsTimerOf(s, stage)) s.History.RemoveAt(s.History.Count - 1); // one pending timer per stage
                    s.AddEvent("TimerCreated", now, $"fires at {now + wait.Delay:O}");
                    break;
                case StageOutcome.WaitForEvent waitFor:
                    s.AddEvent("WaitingForEvent", now, string.Join(" or ", waitFor.EventNames));
                    break;
            }
            return true;
        }, ct);
        if (outcome is StageOutcome.Failed f) PipelineLog.JobFailed(_logger, jobId, Name(stage), f.Reason);
        return committed;
    }

    /// <summary>Fails a job whose messages keep crashing workers (poison).</summary>
    public Task FailPoisonedAsync(string jobId, long dequeueCount, CancellationToken ct)
    {
        var now = _jobs.Time.GetUtcNow();
        return _jobs.UpdateAsync(jobId, s =>
        {
            if (s.RuntimeStatus.IsTerminal()) return false;
            var reason = $"the {Name(s.Stage)} stage stopped its worker {dequeueCount} times (more than maxDequeueCount); see the host logs";
            s.RuntimeStatus = RuntimeStatus.Failed;
            s.Output = new JsonObject { ["error"] = reason, ["stage"] = Name(s.Stage) };
            s.AddEvent("ExecutionFailed", now, reason);
            return true;
        }, ct);
    }

    /// <summary>Enqueues a wake for every unfinished job (start-up recovery: jobs whose messages were lost or never sent).</summary>
    public async Task<int> RecoverAsync(CancellationToken ct)
    {
        var unfinished = await _jobs.ListAsync(new HashSet<RuntimeStatus> { RuntimeStatus.Pending, RuntimeStatus.Running }, ct);
        foreach (var job in unfinished)
            await _starter.WakeAsync(job.Id, ct);
        return unfinished.Count;
    }

    public static string Name(JobStage stage) => stage.ToString().ToLowerInvariant();

    private static bool IsTimerOf(JobState state, JobStage stage) =>
        state.History.Count > 0 && state.History[^1] is { EventType: "TimerCreated" } last && last.Stage == Name(stage);

    private static bool IsTransient(Exception e) => e switch
    {
        StorageException s => s.IsTransient,
        HttpRequestException or TimeoutRejectedException or TimeoutException or TransientStageException => true,
        IOException and not FileNotFoundException and not DirectoryNotFoundException => true,
        _ => false,
    };
}
