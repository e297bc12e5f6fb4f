using System.Text.Json;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Runs;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// External control of jobs, for every host's API: raise approve/reject (accepted only while the gate waits, since Durable
/// would otherwise buffer the event and deploy before anyone saw the scores), terminate (the training run is cancelled too),
/// and purge (everything of the job: data, checkpoints, adapter, deployments, history).
/// </summary>
public sealed class JobControl(DurableTaskClient client, StorageAccount storage, ITrainingBackend backend, ILogger<JobControl> logger)
{
    public enum Result { Done, NotFound, NotRunning, NotWaiting, UnknownEvent, Running }

    public static readonly IReadOnlyList<string> Events = [FineTuneOrchestrator.Approve, FineTuneOrchestrator.Reject];

    public async Task<Result> RaiseEventAsync(string id, string eventName, CancellationToken ct)
    {
        var name = eventName.ToLowerInvariant();
        if (!Events.Contains(name)) return Result.UnknownEvent;
        // The custom status travels with the payloads: without getInputsAndOutputs it is null, and the gate never looks open.
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, ct);
        if (instance is null) return Result.NotFound;
        if (instance.IsCompleted) return Result.NotRunning;
        var progress = ReadProgress(instance);
        if (progress?.WaitingFor != FineTuneOrchestrator.Approve) return Result.NotWaiting;
        await client.RaiseEventAsync(id, name, null, ct);
        return Result.Done;
    }

    public async Task<Result> TerminateAsync(string id, string? reason, CancellationToken ct)
    {
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct);
        if (instance is null) return Result.NotFound;
        if (instance.IsCompleted) return Result.NotRunning;
        reason = string.IsNullOrWhiteSpace(reason) ? "terminated by request" : reason[..Math.Min(reason.Length, 512)];
        await client.TerminateInstanceAsync(id, new TerminateInstanceOptions { Output = reason }, ct);
        await CancelRunsAsync(id, ct);
        PipelineLog.Terminated(logger, id, reason);
        return Result.Done;
    }

    /// <summary>Deletes a finished job: its blobs in every container, its deployments, and its Durable history.</summary>
    public async Task<(Result Result, int Deleted)> PurgeAsync(string id, CancellationToken ct)
    {
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct);
        if (instance is null) return (Result.NotFound, 0);
        if (!instance.IsCompleted) return (Result.Running, 0);
        var deleted = 0;
        foreach (var (container, prefix) in JobPaths.Everything(id))
            await foreach (var blob in storage.Blobs.ListAsync(container, prefix, ct))
                if (await storage.Blobs.DeleteAsync(container, blob.Name, ct: ct)) deleted++;
        await foreach (var blob in storage.Blobs.ListAsync(Containers.Deployments, ct: ct))
        {
            var text = await storage.Blobs.ReadTextAsync(Containers.Deployments, blob.Name, ct);
            if (text is not null && JsonDocument.Parse(text).RootElement.TryGetProperty("jobId", out var job) && job.GetString() == id
                && await storage.Blobs.DeleteAsync(Containers.Deployments, blob.Name, ct: ct))
                deleted++;
        }
        await client.PurgeInstanceAsync(id, cancellation: ct);
        return (Result.Done, deleted);
    }

    /// <summary>Cancels the job's recorded training and evaluation runs (the local backend's watchdog catches runs of other hosts).</summary>
    public async Task CancelRunsAsync(string id, CancellationToken ct)
    {
        foreach (var verb in new[] { "train", "eval" })
        {
            if (await storage.Blobs.ReadBytesAsync(Containers.Jobs, JobPaths.RunRecord(id, verb), ct) is not { } bytes) continue;
            var run = JsonSerializer.Deserialize<TrainingRun>(bytes.Bytes, JobJson.Options);
            if (run is null || run.Backend != backend.Name) continue;
            try
            {
                await backend.CancelAsync(run, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                PipelineLog.CancelFault(logger, run.RunId, id, e);
            }
        }
    }

    public static JobProgress? ReadProgress(OrchestrationMetadata instance)
    {
        if (instance.SerializedCustomStatus is not { Length: > 0 } text) return null;
        try
        {
            return JsonSerializer.Deserialize<JobProgress>(text, JobJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
