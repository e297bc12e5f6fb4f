using FineTune.Pipeline.Storage.Azure;
using FineTune.Pipeline.Storage.File;

namespace FineTune.Pipeline.Storage;

/// <summary>The blob and queue halves of one storage account, and a safe description for logs (no secrets).</summary>
public sealed record StorageAccount(IBlobStore Blobs, IQueueStore Queues, string Description)
{
    /// <summary>The embedded store: everything under <paramref name="dataDirectory"/>.</summary>
    public static StorageAccount FromDirectory(string dataDirectory, TimeProvider? time = null)
    {
        var root = Path.GetFullPath(dataDirectory);
        var clock = time ?? TimeProvider.System;
        return new StorageAccount(new FileBlobStore(root, clock), new FileQueueStore(root, clock), $"files at {root}");
    }

    /// <summary>Azure Storage or Azurite: "UseDevelopmentStorage=true" or an account connection string.</summary>
    public static StorageAccount FromConnectionString(string connectionString)
    {
        var parsed = StorageConnectionString.Parse(connectionString);
        var pipeline = StoragePipeline.Create(parsed);
        return new StorageAccount(new AzureBlobStore(parsed.BlobEndpoint, pipeline), new AzureQueueStore(parsed.QueueEndpoint, pipeline),
            $"Azure Storage account {parsed.AccountName} at {parsed.BlobEndpoint}");
    }

    /// <summary>
    /// A storage setting as the training backends pass it in FINETUNE_STORAGE: an existing folder is the
    /// embedded store, anything else a connection string.
    /// </summary>
    public static StorageAccount FromSetting(string setting) =>
        Directory.Exists(setting) ? FromDirectory(setting) : FromConnectionString(setting);

    /// <summary>Creates the FineTune containers and queues (idempotent).</summary>
    public async Task EnsureCreatedAsync(CancellationToken ct = default)
    {
        foreach (var container in Containers.All)
            await Blobs.CreateContainerAsync(container, ct);
        await Queues.CreateQueueAsync(Containers.JobQueue, ct);
        await Queues.CreateQueueAsync(Containers.JobPoisonQueue, ct);
    }
}
