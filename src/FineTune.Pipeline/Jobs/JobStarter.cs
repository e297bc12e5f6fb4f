using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Logging;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// Starts the one job of a blob version, whichever trigger saw it (folder scan, Event Grid, Functions blob trigger,
/// POST /api/jobs): the job id is derived from name + ETag, the state document is created only if absent, and a receipt
/// (jobs/_receipts/{id}.json) records that the version was handled. Safe to call any number of times, from any host.
/// </summary>
public sealed class JobStarter(StorageAccount storage, JobStore jobs, WorkerSignal signal, ILogger<JobStarter> logger)
{
    private static readonly string[] DataExtensions = [".jsonl", ".json"];
    private static readonly string[] DocumentExtensions = [".pdf", ".txt", ".md", ".docx"];
    public const string ManifestSuffix = ".job.json";

    /// <summary>Data, documents, or null for a blob that starts no job (a manifest, an unknown type).</summary>
    public static JobKind? KindOf(string name)
    {
        var lower = name.ToLowerInvariant();
        if (lower.EndsWith(ManifestSuffix, StringComparison.Ordinal)) return null;
        var ext = Path.GetExtension(lower);
        if (DataExtensions.Contains(ext)) return JobKind.Data;
        if (DocumentExtensions.Contains(ext)) return JobKind.Documents;
        return null;
    }

    public async Task<bool> HasReceiptAsync(string container, string name, string etag, CancellationToken ct) =>
        await storage.Blobs.GetPropertiesAsync(Containers.Jobs, JobPaths.Receipt(container, name, etag), ct) is not null;

    /// <summary>The job of this blob version: created now, or found. Null when the blob is not a job input.</summary>
    public async Task<(JobState Job, bool Created)?> StartAsync(string container, string name, string etag, JobManifest? manifest = null,
        CancellationToken ct = default)
    {
        if (KindOf(name) is not { } kind) return null;
        etag = etag.Trim('"');
        var id = JobPaths.IdFor(container, name, etag);
        var existing = await jobs.GetAsync(id, ct);
        if (existing is not null)
        {
            // Created by another trigger or host that may have died before enqueueing: a second wake is harmless.
            if (!await HasReceiptAsync(container, name, etag, ct))
            {
                if (!existing.Value.State.RuntimeStatus.IsTerminal()) await WakeAsync(id, ct);
                await WriteReceiptAsync(container, name, etag, id, ct);
            }
            return (existing.Value.State, false);
        }

        var now = jobs.Time.GetUtcNow();
        string? manifestBlob = null;
        string? manifestError = null;
        if (manifest is null)
            (manifest, manifestBlob, manifestError) = await FindManifestAsync(container, name, ct);
        var state = new JobState
        {
            Id = id,
            Input = new JobInput(new SourceBlob(container, name, etag), manifest ?? new JobManifest(), kind, manifestBlob),
            CreatedTime = now,
            LastUpdatedTime = now,
            CustomStatus = new JsonObject { ["stage"] = "validate", ["progress"] = 0.0 },
        };
        state.AddEvent("ExecutionScheduled", now, $"{container}/{name}");
        if (manifestError is not null)
        {
            state.RuntimeStatus = RuntimeStatus.Failed;
            state.Output = new JsonObject { ["error"] = manifestError };
            state.AddEvent("ExecutionFailed", now, manifestError);
        }
        var (job, created) = await jobs.CreateAsync(state, ct);
        if (created)
        {
            PipelineLog.JobCreated(logger, id, container, name);
            if (!job.RuntimeStatus.IsTerminal()) await WakeAsync(id, ct);
        }
        await WriteReceiptAsync(container, name, etag, id, ct);
        return (job, created);
    }

    public async Task WakeAsync(string id, CancellationToken ct)
    {
        await storage.Queues.SendAsync(Containers.JobQueue, new WakeMessage(id).ToJson(), ct: ct);
        signal.Pulse();
    }

    private async Task WriteReceiptAsync(string container, string name, string etag, string id, CancellationToken ct)
    {
        var receipt = JsonSerializer.SerializeToUtf8Bytes(new { container, name, etag, jobId = id }, JobJson.Options);
        await storage.Blobs.TryCreateAsync(Containers.Jobs, JobPaths.Receipt(container, name, etag), receipt, ct);
    }

    /// <summary>"{stem}.job.json" beside the data, else the first *.job.json in the same folder.</summary>
    private async Task<(JobManifest?, string?, string?)> FindManifestAsync(string container, string name, CancellationToken ct)
    {
        var folder = name[..(name.LastIndexOf('/') + 1)];
        var file = name[folder.Length..];
        var stem = file.Contains('.') ? file[..file.IndexOf('.')] : file;
        var candidates = new List<string> { folder + stem + ManifestSuffix };
        await foreach (var blob in storage.Blobs.ListAsync(container, folder.Length == 0 ? null : folder, ct))
            if (blob.Name.EndsWith(ManifestSuffix, StringComparison.OrdinalIgnoreCase) && !blob.Name[folder.Length..].Contains('/'))
                candidates.Add(blob.Name);
        foreach (var candidate in candidates.Distinct())
        {
            var text = await storage.Blobs.ReadTextAsync(container, candidate, ct);
            if (text is null) continue;
            try
            {
                var manifest = JsonSerializer.Deserialize<JobManifest>(text, JobJson.Options) ?? new JobManifest();
                return (manifest, $"{container}/{candidate}", null);
            }
            catch (JsonException e)
            {
                return (null, $"{container}/{candidate}", $"the job manifest {container}/{candidate} is not valid: {e.Message}");
            }
        }
        return (null, null, null);
    }
}
