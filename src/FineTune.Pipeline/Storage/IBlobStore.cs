namespace FineTune.Pipeline.Storage;

/// <summary>
/// Blobs with ETags, conditional writes and leases: the part of Azure Blob Storage the pipeline needs.
/// Implemented by <see cref="File.FileBlobStore"/> (a data folder) and <see cref="Azure.AzureBlobStore"/> (REST).
/// Conditional failures (ETag mismatch, blob exists, lease held) throw <see cref="StorageConflictException"/>.
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

    /// <summary>A new lease id, or null when another holder has an active lease. The blob must exist.</summary>
    Task<string?> TryAcquireLeaseAsync(string container, string name, TimeSpan duration, CancellationToken ct = default);

    /// <summary>Extends a held lease; throws <see cref="StorageConflictException"/> when it was lost.</summary>
    Task RenewLeaseAsync(string container, string name, string leaseId, CancellationToken ct = default);

    /// <summary>Releases a held lease; throws <see cref="StorageConflictException"/> when another holds it.</summary>
    Task ReleaseLeaseAsync(string container, string name, string leaseId, CancellationToken ct = default);
}
