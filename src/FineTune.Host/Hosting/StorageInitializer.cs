using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Hosting;

namespace FineTune.Host.Hosting;

/// <summary>Creates the containers and queues before the workers and the scanner start.</summary>
internal sealed class StorageInitializer(StorageAccount storage) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => storage.EnsureCreatedAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
