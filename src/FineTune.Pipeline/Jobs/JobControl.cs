using System.Text.Json.Nodes;
using FineTune.Pipeline.Stages;
using FineTune.Pipeline.Training;
using Microsoft.Extensions.Logging;

namespace FineTune.Pipeline.Jobs;

/// <summary>External control of running jobs: raise an event (approve/reject), terminate (cancels training too), purge.</summary>
public sealed class JobControl(JobStore jobs, JobStarter starter, ITrainingBackend backend, ILogger<JobControl> logger)
{
    public enum Result { Done, NotFound, NotRunning, Running }

    public async Task<Result> RaiseEventAsync(string id, string eventName, CancellationToken ct)
    {
        var now = jobs.Time.GetUtcNow();
        var notRunning = false;
        var updated = await jobs.UpdateAsync(id, s =>
        {
            notRunning = s.RuntimeStatus.IsTerminal();
            if (notRunning) return false;
            s.PendingEvents.Add(eventName);
            s.AddEvent("EventRaised", now, eventName);
            return true;
        }, ct);
        if (updated is null) return Result.NotFound;
        if (notRunning) return Result.NotRunning;
        await starter.WakeAsync(id, ct);
        return Result.Done;
    }

    public async Task<Result> TerminateAsync(string id, string? reason, CancellationToken ct)
    {
        var now = jobs.Time.GetUtcNow();
        var notRunning = false;
        reason = string.IsNullOrWhiteSpace(reason) ? "terminated by request" : reason;
        var updated = await jobs.UpdateAsync(id, s =>
        {
            notRunning = s.RuntimeStatus.IsTerminal();
            if (notRunning) return false;
            s.RuntimeStatus = RuntimeStatus.Terminated;
            s.Output = new JsonObject { ["reason"] = reason, ["stage"] = JobRunner.Name(s.Stage) };
            s.AddEvent("ExecutionTerminated", now, reason);
            return true;
        }, ct);
        if (updated is null) return Result.NotFound;
        if (notRunning) return Result.NotRunning;
        await BackendTaskStage.CancelAsync(backend, updated, ct);
        PipelineLog.Terminated(logger, id, reason);
        return Result.Done;
    }

    /// <summary>Deletes a finished job's documents; a running job must be terminated first.</summary>
    public async Task<(Result Result, int Deleted)> PurgeAsync(string id, CancellationToken ct)
    {
        var job = await jobs.GetAsync(id, ct);
        if (job is null) return (Result.NotFound, 0);
        if (!job.Value.State.RuntimeStatus.IsTerminal()) return (Result.Running, 0);
        return (Result.Done, await jobs.PurgeAsync(id, ct));
    }
}
