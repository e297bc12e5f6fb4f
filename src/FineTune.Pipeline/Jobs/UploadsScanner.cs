using System.Collections.Concurrent;
using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// The blob trigger of the self-hosted host (Azurite emits no Event Grid events): lists the uploads container every
/// ScanInterval and starts the job of every blob version without a receipt, including those that arrived while no host ran.
/// Each blob is handled on its own: one that fails is logged and retried on the next pass, and never stops the others.
/// </summary>
public sealed class UploadsScanner(StorageAccount storage, JobStarter starter, IOptions<PipelineOptions> options, TimeProvider time,
    ILogger<UploadsScanner> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<(string Name, string ETag), bool> _handled = new();

    /// <summary>The passes over the container; one that failed does not count.</summary>
    public Passes Passes { get; } = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.ScanInterval;
        if (interval == TimeSpan.Zero) return;
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var pass = Passes.Begin();
            try
            {
                await ScanOnceAsync(stoppingToken);
                Passes.End(pass);
                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Storage down (Azurite restarting, a network blip): keep the host up and try again.
                PipelineLog.ScanFault(logger, "uploads container", e);
                await Task.Delay(interval * 8, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One pass over the uploads container; returns how many jobs it started.</summary>
    public async Task<int> ScanOnceAsync(CancellationToken ct)
    {
        var created = 0;
        await foreach (var blob in storage.Blobs.ListAsync(Containers.Uploads, ct: ct))
        {
            var key = (blob.Name, blob.BareETag);
            if (_handled.ContainsKey(key) || JobStarter.KindOf(blob.Name) is null) continue;
            try
            {
                if (!await starter.HasReceiptAsync(JobPaths.IdFor(Containers.Uploads, blob.Name, blob.BareETag), ct))
                {
                    var started = await starter.StartAsync(Containers.Uploads, blob.Name, blob.BareETag, ct: ct);
                    if (started is { Created: true }) created++;
                }
                _handled.TryAdd(key, true);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                PipelineLog.StartFault(logger, blob.Name, e);
            }
        }
        return created;
    }
}
