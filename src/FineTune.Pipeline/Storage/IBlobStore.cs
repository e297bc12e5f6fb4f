namespace FineTune.Pipeline.Storage;

/// <summary>
/// Blobs with ETags and conditional writes: the part of Azure Blob Storage the pipeline, the trainer and serving use,
/// so each of them names a blob as (container, name) and never builds clients inline. Implemented once, over the Azure SDK
/// (<see cref="AzureBlobStore"/>), against Azure Storage or Azurite. Conditional failures throw <see cref="StorageConflictException"/>.
/// </summary>
public interface IBlobStore
{
    /// <summary>Creates the container when missing; succeeds when it exists.</summary>
    Task CreateContainerAsync(string container, CancellationToken ct = default);

    /// <summary>The blob's properties, or null when it does not exist.</summary>
    Task<BlobProperties?> GetPropertiesAsync(string container, string name, CancellationToken ct = default);

    /// <summary>Opens the blob for reading (one consistent version), or null when it does not exist.</summary>
    Task<BlobDownload?> OpenReadAsync(string container, string name, CancellationToken ct = default);

    /// <summary>Writes the whole blob atomically: readers see the old or the new content, never a mix.</summary>
    Task<BlobProperties> UploadAsync(string container, string name, Stream content, BlobConditions? conditions = null, CancellationToken ct = default);

    /// <summary>Deletes the blob; false when it did not exist.</summary>
    Task<bool> DeleteAsync(string container, string name, BlobConditions? conditions = null, CancellationToken ct = default);

    /// <summary>Blobs whose names start with <paramref name="prefix"/>, in name order.</summary>
    IAsyncEnumerable<BlobProperties> ListAsync(string container, string? prefix = null, CancellationToken ct = default);
}
