using System.Text.Json;
using FineTune.Host.Hosting;
using FineTune.Models.Lora;
using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FineTune.Host.Serving;

/// <summary>
/// Serves what the pipeline's Deploy stage publishes: every <c>deployments/{name}.json</c> record
/// (<c>{"name", "jobId", "adapter": "adapters/{jobId}/"}</c>) has its adapter files (adapter/ and
/// checkpoints/epoch-N/, weights and config only) copied from storage into DATA/serving-cache/{jobId}/ and is
/// registered in the <see cref="DeploymentCatalog"/> as <c>ft:&lt;base&gt;:&lt;name&gt;:&lt;jobId&gt;</c> (+ <c>:ckpt-epoch-N</c>).
/// A changed record is fetched again; a deleted one stops being served. Polls every <see cref="ServingOptions.DeploymentPollInterval"/>.
/// </summary>
public sealed partial class DeploymentSync(StorageAccount storage, HostSettings host, ServedModel served, DeploymentCatalog catalog,
    ServingOptions options, ILogger<DeploymentSync> log) : BackgroundService
{
    private static readonly string[] Wanted = [LoraConfig.FileName, LoraAdapter.WeightsFileName];
    private readonly Dictionary<string, (string ETag, string JobId)> _synced = new(StringComparer.Ordinal); // record name → what is registered

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

    public async Task SyncOnceAsync(CancellationToken ct)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var blob in storage.Blobs.ListAsync(Containers.Deployments, ct: ct))
        {
            if (!blob.Name.EndsWith(".json", StringComparison.Ordinal) || blob.Name.Contains('/')) continue;
            seen.Add(blob.Name);
            if (_synced.TryGetValue(blob.Name, out var known) && known.ETag == blob.ETag) continue;
            var text = await storage.Blobs.ReadTextAsync(Containers.Deployments, blob.Name, ct);
            if (text is null) continue;
            using var doc = JsonDocument.Parse(text);
            var name = doc.RootElement.TryGetProperty("name", out var n) ? n.GetString() : null;
            var jobId = doc.RootElement.TryGetProperty("jobId", out var j) ? j.GetString() : null;
            var adapter = doc.RootElement.TryGetProperty("adapter", out var a) ? a.GetString() : null;
            if (name is null || jobId is null || adapter is null || !adapter.StartsWith(Containers.Adapters + "/", StringComparison.Ordinal))
            {
                LogBadRecord(blob.Name);
                continue;
            }
            var dir = Path.Combine(CacheDirectory, jobId);
            await DownloadAsync(adapter[(Containers.Adapters.Length + 1)..], dir, ct);
            try
            {
                var id = catalog.Register(served.Id, name, jobId, dir);
                _synced[blob.Name] = (blob.ETag, jobId);
                LogRegistered(id, dir);
            }
            catch (ArgumentException e) { LogNotServed(blob.Name, e.Message); } // no adapter (yet), or a name that cannot be an id: retried next poll
        }
        foreach (var gone in _synced.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            catalog.Unregister(_synced[gone].JobId);
            _synced.Remove(gone);
        }
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
            var tmp = target + ".part";
            await using (var file = File.Create(tmp))
                await download.Content.CopyToAsync(file, ct);
            File.Move(tmp, target, overwrite: true);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "serving deployment {Id} from {Directory}")]
    private partial void LogRegistered(string id, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "deployments/{Name} lacks name, jobId or an adapters/ folder: not served")]
    private partial void LogBadRecord(string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "deployments/{Name} is not served: {Reason}")]
    private partial void LogNotServed(string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "syncing deployments failed; retrying")]
    private partial void LogSyncFailed(Exception e);
}
