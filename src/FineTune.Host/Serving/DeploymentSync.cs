using System.Text.Json;
using FineTune.Host.Hosting;
using FineTune.Models.Lora;
using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FineTune.Host.Serving;

/// <summary>
/// Serves what the pipeline's Deploy stage publishes: every <c>deployments/{name}.json</c> record
/// (<c>{"name", "jobId", "baseModel", "adapter": "adapters/{jobId}/"}</c>) has its adapter files (adapter/ and
/// checkpoints/epoch-N/: weights, config and base_model.json) copied from storage into
/// DATA/serving-cache/{jobId}/{version}/ and is registered in the <see cref="DeploymentCatalog"/> as
/// <c>ft:&lt;base&gt;:&lt;name&gt;:&lt;jobId&gt;</c> (+ <c>:ckpt-epoch-N</c>). An adapter whose base_model.json names another
/// base than the served one is refused, with the reason logged and answered to requests naming it. Polls every
/// <see cref="ServingOptions.DeploymentPollInterval"/>: a changed record is fetched again into a new version folder and
/// replaces what its name served (another job's ids included); a deleted one stops being served. Superseded folders are
/// deleted one poll later, so requests already queued for them still run. A request for an adapter whose cached files
/// were deleted fetches them again.
/// </summary>
public sealed partial class DeploymentSync(StorageAccount storage, HostSettings host, ServedModel served, DeploymentCatalog catalog,
    ServingOptions options, ILogger<DeploymentSync> log) : BackgroundService
{
    private static readonly string[] Wanted = [LoraConfig.FileName, LoraAdapter.WeightsFileName, BaseModelIdentity.FileName];
    private readonly Dictionary<string, Synced> _synced = new(StringComparer.Ordinal); // record blob → what is registered
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<string> _retired = []; // folders superseded at the last poll, deleted at the next

    private sealed record Synced(string ETag, string Name, string Directory);

    public string CacheDirectory { get; } = Path.GetFullPath(host.DataDirectory is { } data
        ? Path.Combine(data, "serving-cache")
        : Path.Combine(Path.GetTempPath(), "finetune-serving-cache", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await SyncOnceAsync(stoppingToken); }
            catch (Exception e) when (e is not OperationCanceledException) { LogSyncFailed(e); } // a poller must not stop the host
            await Task.Delay(options.DeploymentPollInterval, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>One poll: registers new and changed records, unregisters deleted ones (one poll at a time).</summary>
    public async Task SyncOnceAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try { await SyncAsync(ct); }
        finally { _gate.Release(); }
    }

    private async Task SyncAsync(CancellationToken ct)
    {
        foreach (var dir in _retired) TryDelete(dir);
        _retired.Clear();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var blob in storage.Blobs.ListAsync(Containers.Deployments, ct: ct))
        {
            if (!blob.Name.EndsWith(".json", StringComparison.Ordinal) || blob.Name.Contains('/')) continue;
            seen.Add(blob.Name);
            if (_synced.TryGetValue(blob.Name, out var known) && known.ETag == blob.ETag) continue;
            var text = await storage.Blobs.ReadTextAsync(Containers.Deployments, blob.Name, ct);
            if (text is null) continue;
            if (Parse(text) is not { } record)
            {
                LogBadRecord(blob.Name);
                continue;
            }
            var (name, jobId, baseModel, adapter) = record;
            var dir = Path.Combine(CacheDirectory, jobId, Version(blob.Name, blob.ETag));
            var prefix = adapter[(Containers.Adapters.Length + 1)..];
            await DownloadAsync(prefix, dir, ct);
            try
            {
                var id = ModelIds.Deployment(served.Id, name, jobId);
                var (trainedOn, unreadable) = ReadBase(DeploymentCatalog.FinalAdapter(dir));
                if ((unreadable is null ? served.Refusal(id, trainedOn, baseModel) : $"adapter '{id}': {unreadable}") is { } refusal)
                {
                    catalog.Refuse(name, jobId, refusal);
                    LogRefused(blob.Name, refusal);
                }
                else
                {
                    catalog.Register(served.Id, name, jobId, dir, fetch: c => RepairAsync(id, prefix, dir, c));
                    if (trainedOn is null) LogBaseUnknown(id);
                    LogRegistered(id, dir);
                }
                if (known is not null && known.Name != name) catalog.Unregister(known.Name);
                if (known is not null && known.Directory != dir) _retired.Add(known.Directory);
                _synced[blob.Name] = new Synced(blob.ETag, name, dir);
            }
            catch (ArgumentException e)
            {
                LogNotServed(blob.Name, e.Message); // no adapter (yet), or a name that cannot be an id: retried next poll
                TryDelete(dir);
            }
        }
        foreach (var gone in _synced.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            catalog.Unregister(_synced[gone].Name);
            _retired.Add(_synced[gone].Directory);
            _synced.Remove(gone);
        }
    }

    /// <summary>name, jobId, baseModel and adapter of a record; null when one is missing or unsafe as a folder name or address.</summary>
    private static (string Name, string JobId, string? BaseModel, string Adapter)? Parse(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            string? Str(string key) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var (name, jobId, adapter) = (Str("name"), Str("jobId"), Str("adapter"));
            if (name is null || jobId is null || adapter is null || !SafeSegment(name) || !SafeSegment(jobId)
                || !adapter.StartsWith(Containers.Adapters + "/", StringComparison.Ordinal) || adapter.Split('/').Any(p => p is ".." or "."))
                return null;
            return (name, jobId, Str("baseModel"), adapter);
        }
        catch (JsonException) { return null; }
    }

    private static bool SafeSegment(string s) =>
        s.Length is > 0 and <= 128 && s[0] != '.' && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>A folder name per record version, so a replaced adapter never mixes with the one still being served.</summary>
    private static string Version(string blob, string etag) =>
        "v-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(blob + "|" + etag)))[..16];

    private async Task RepairAsync(string id, string prefix, string dir, CancellationToken ct)
    {
        LogRepairing(id, dir);
        await DownloadAsync(prefix, dir, ct);
    }

    private static (BaseModelIdentity? Identity, string? Unreadable) ReadBase(string adapterDirectory)
    {
        try { return (BaseModelIdentity.Read(adapterDirectory), null); }
        catch (InvalidDataException e) { return (null, $"its {BaseModelIdentity.FileName} is unreadable: {e.Message}"); }
    }

    /// <summary>Deletes a version folder, and its job's folder when that is left empty.</summary>
    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            if (Path.GetDirectoryName(dir) is { } job && Directory.Exists(job) && !Directory.EnumerateFileSystemEntries(job).Any()) Directory.Delete(job);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // never retried: a leftover folder costs disk only
    }

    /// <summary>Copies adapter_config.json and adapter_model.safetensors files under the prefix, keeping their relative paths.</summary>
    private async Task DownloadAsync(string prefix, string directory, CancellationToken ct)
    {
        if (!prefix.EndsWith('/')) prefix += "/";
        await foreach (var blob in storage.Blobs.ListAsync(Containers.Adapters, prefix, ct))
        {
            var relative = blob.Name[prefix.Length..];
            if (!Wanted.Contains(Path.GetFileName(relative)) || relative.Split('/').Any(p => p is ".." or "" || p.EndsWith(".tmp", StringComparison.Ordinal))) continue;
            var target = Path.Combine(directory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await using var download = await storage.Blobs.OpenReadAsync(Containers.Adapters, blob.Name, ct);
            if (download is null) continue;
            var tmp = $"{target}.{Guid.NewGuid():N}.part"; // a repair and a poll may copy the same file at once
            await using (var file = File.Create(tmp))
                await download.Content.CopyToAsync(file, ct);
            File.Move(tmp, target, overwrite: true);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "serving deployment {Id} from {Directory}")]
    private partial void LogRegistered(string id, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "deployments/{Name} lacks name, jobId or an adapters/ folder (or one is not a plain name): not served")]
    private partial void LogBadRecord(string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "deployments/{Name} is not served: {Reason}")]
    private partial void LogNotServed(string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "deployments/{Name} is refused: {Reason}")]
    private partial void LogRefused(string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Id} does not record its base model (no base_model.json): served unverified")]
    private partial void LogBaseUnknown(string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the cached files of {Id} are missing; fetching them again into {Directory}")]
    private partial void LogRepairing(string id, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "syncing deployments failed; retrying")]
    private partial void LogSyncFailed(Exception e);
}
