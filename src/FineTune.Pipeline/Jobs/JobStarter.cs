using System.Text.Json;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// Starts the one job of a blob version, whichever trigger saw it (the uploads scan, the Functions blob trigger, POST /api/jobs):
/// the orchestration's instance id is derived from the blob's name and ETag, so every trigger on every host names the same
/// instance, and a receipt (jobs/_receipts/{id}.json, written after scheduling) lets the scan skip versions already handled.
/// The manifest is found and checked completely first; a job that cannot run is still created, and fails at once saying why.
/// </summary>
public sealed class JobStarter(DurableTaskClient client, StorageAccount storage, ManifestChecker checker, IOptions<PipelineOptions> options,
    ILogger<JobStarter> logger)
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

    public async Task<bool> HasReceiptAsync(string id, CancellationToken ct) =>
        await storage.Blobs.GetPropertiesAsync(Containers.Jobs, JobPaths.Receipt(id), ct) is not null;

    /// <summary>The job of this blob version: started now, or found. Null when the blob is not a job input.</summary>
    public async Task<JobStartResult?> StartAsync(string container, string name, string etag, JobManifest? manifest = null, CancellationToken ct = default)
    {
        if (KindOf(name) is not { } kind) return null;
        etag = etag.Trim('"');
        var id = JobPaths.IdFor(container, name, etag);
        if (await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct) is not null)
        {
            await WriteReceiptAsync(id, container, name, etag, ct);
            return new JobStartResult(id, false);
        }
        string? manifestBlob = null, problem = null;
        if (manifest is null) (manifest, manifestBlob, problem) = await FindManifestAsync(container, name, ct);
        manifest ??= new JobManifest();
        if (problem is null && await checker.CheckAsync(manifest, ct) is { Count: > 0 } issues)
            problem = $"the job manifest{(manifestBlob is null ? "" : $" {manifestBlob}")} is invalid: {string.Join("; ", issues)}";
        var input = new JobInput(new SourceBlob(container, name, etag), manifest, kind, manifestBlob, problem);
        return await ScheduleAsync(id, input, ct);
    }

    /// <summary>A job for a file that cannot become a blob (a bad name): it fails at once, saying why, and blocks nothing else.</summary>
    public async Task<JobStartResult> StartRejectedAsync(string container, string displayName, string version, string reason, CancellationToken ct = default)
    {
        var id = JobPaths.IdFor(container, displayName, version);
        if (await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct) is not null) return new JobStartResult(id, false);
        var input = new JobInput(new SourceBlob(container, displayName, version), new JobManifest(), KindOf(displayName) ?? JobKind.Data, null, reason);
        return await ScheduleAsync(id, input, ct);
    }

    private async Task<JobStartResult> ScheduleAsync(string id, JobInput input, CancellationToken ct)
    {
        input = input with { Settings = OrchestrationSettings.From(options.Value) };
        var created = true;
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(FineTuneOrchestrator), input, new StartOrchestrationOptions(id).WithDedupeStatuses(Enum.GetValues<OrchestrationRuntimeStatus>()), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Another trigger or host scheduled it first; anything else is a fault.
            if (await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct) is null) throw;
            created = false;
        }
        if (created) PipelineLog.JobCreated(logger, id, input.Source.Container, input.Source.Name);
        await WriteReceiptAsync(id, input.Source.Container, input.Source.Name, input.Source.ETag, ct);
        return new JobStartResult(id, created);
    }

    private async Task WriteReceiptAsync(string id, string container, string name, string etag, CancellationToken ct)
    {
        var receipt = JsonSerializer.SerializeToUtf8Bytes(new { container, name, etag, jobId = id }, JobJson.Options);
        await storage.Blobs.TryCreateAsync(Containers.Jobs, JobPaths.Receipt(id), receipt, ct);
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
            var read = await storage.Blobs.ReadBytesAsync(container, candidate, ct);
            if (read is null) continue;
            if (read.Value.Bytes.Length > 1 << 20)
                return (null, $"{container}/{candidate}", $"the job manifest {container}/{candidate} is {read.Value.Bytes.Length} bytes; at most 1 MiB");
            try
            {
                var manifest = JsonSerializer.Deserialize<JobManifest>(read.Value.Bytes, JobJson.Options) ?? new JobManifest();
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

/// <param name="Created">False when the job of this blob version already existed.</param>
public sealed record JobStartResult(string JobId, bool Created);
