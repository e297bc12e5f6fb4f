using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// The blob trigger of the embedded store and Azurite (which emits no Event Grid events): lists uploads/ every
/// ScanInterval and starts the job of every blob version without a receipt, including those that arrived while no
/// host ran. Blob versions already handled are remembered in memory so a scan costs one listing.
/// </summary>
public sealed class DropZoneScanner(StorageAccount storage, JobStarter starter, PipelineOptions options, TimeProvider time,
    ILogger<DropZoneScanner> logger) : BackgroundService
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Name, string ETag), bool> _handled = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.ScanInterval == TimeSpan.Zero) return;
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ScanOnceAsync(stoppingToken);
                await Task.Delay(options.ScanInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                PipelineLog.ScanFault(logger, e);
                await Task.Delay(options.ScanInterval * 4, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One pass over uploads/; returns how many jobs it created.</summary>
    public async Task<int> ScanOnceAsync(CancellationToken ct)
    {
        var created = 0;
        var now = time.GetUtcNow();
        await foreach (var blob in storage.Blobs.ListAsync(Containers.Uploads, ct: ct))
        {
            var key = (blob.Name, blob.BareETag);
            if (JobStarter.KindOf(blob.Name) is null || _handled.ContainsKey(key)) continue;
            if (options.SettleTime > TimeSpan.Zero && now - blob.LastModified < options.SettleTime) continue; // still being copied?
            if (!await starter.HasReceiptAsync(Containers.Uploads, blob.Name, blob.BareETag, ct))
            {
                var started = await starter.StartAsync(Containers.Uploads, blob.Name, blob.BareETag, ct: ct);
                if (started is { Created: true }) created++;
            }
            _handled.TryAdd(key, true);
        }
        return created;
    }
}
