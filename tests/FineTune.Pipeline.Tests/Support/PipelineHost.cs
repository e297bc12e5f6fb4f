using FineTune.Pipeline;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FineTune.Tests.Support;

/// <summary>A generic host running the pipeline's workers and scanner on a given store, with test-speed timings.</summary>
public sealed class PipelineHost : IAsyncDisposable
{
    private readonly IHost _host;

    private PipelineHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;
    public JobStore Jobs => Services.GetRequiredService<JobStore>();
    public StorageAccount Storage => Services.GetRequiredService<StorageAccount>();

    public static PipelineOptions FastOptions() => new()
    {
        LeaseDuration = TimeSpan.FromSeconds(15),
        VisibilityTimeout = TimeSpan.FromSeconds(10),
        MinPollingInterval = TimeSpan.FromMilliseconds(50),
        MaxPollingInterval = TimeSpan.FromMilliseconds(250),
        ScanInterval = TimeSpan.FromMilliseconds(50),
        SettleTime = TimeSpan.FromMilliseconds(100), // tests write straight into uploads/, as a user's copy does
        TrainingPollInterval = TimeSpan.FromMilliseconds(200),
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetries = 2,
    };

    public static async Task<PipelineHost> StartAsync(StorageAccount storage, PipelineOptions? options = null, ITrainingBackend? backend = null)
    {
        await storage.EnsureCreatedAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddFineTunePipeline(storage, options ?? FastOptions(), backend);
        var host = builder.Build();
        await host.StartAsync();
        return new PipelineHost(host);
    }

    /// <summary>Waits until the job is finished (or <paramref name="until"/> holds) and returns its state.</summary>
    public async Task<JobState> WaitForAsync(string id, Func<JobState, bool>? until = null, int timeoutMs = 20_000)
    {
        until ??= s => s.RuntimeStatus.IsTerminal();
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        JobState? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = (await Jobs.GetAsync(id))?.State;
            if (last is not null && until(last)) return last;
            await Task.Delay(50);
        }
        throw new TimeoutException($"job {id} did not get there in {timeoutMs} ms; last: {last?.RuntimeStatus} {last?.Stage} {last?.Output?.ToJsonString()}");
    }

    /// <summary>Waits until uploads/{name} has started its job and returns the job id.</summary>
    public async Task<string> JobIdOfUploadAsync(string name, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            if (await Storage.Blobs.GetPropertiesAsync(Containers.Uploads, name) is { } blob)
            {
                var id = JobPaths.IdFor(Containers.Uploads, name, blob.BareETag);
                if (await Jobs.GetAsync(id) is not null) return id;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException($"no job started for uploads/{name}");
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
