using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace FineTune.Pipeline.Storage;

/// <summary>
/// <see cref="IBlobStore"/> over Azure.Storage.Blobs (connection string or Entra ID; the SDK signs, retries 408/429/5xx and
/// streams). Uploads go through the SDK's block upload, committed in one Put Block List, so a reader never sees a partial blob.
/// </summary>
public sealed class AzureBlobStore(BlobServiceClient service) : IBlobStore
{
    public BlobServiceClient Service { get; } = service;

    public async Task CreateContainerAsync(string container, CancellationToken ct = default) =>
        await Service.GetBlobContainerClient(container).CreateIfNotExistsAsync(cancellationToken: ct);

    public async Task<BlobProperties?> GetPropertiesAsync(string container, string name, CancellationToken ct = default)
    {
        try
        {
            var props = await Blob(container, name).GetPropertiesAsync(cancellationToken: ct);
            return Map(name, props.Value.ETag, props.Value.ContentLength, props.Value.LastModified, props.Value.ContentHash);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<BlobDownload?> OpenReadAsync(string container, string name, CancellationToken ct = default)
    {
        try
        {
            var result = await Blob(container, name).DownloadStreamingAsync(cancellationToken: ct);
            var details = result.Value.Details;
            return new BlobDownload(result.Value.Content,
                Map(name, details.ETag, details.ContentLength, details.LastModified, details.ContentHash));
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<BlobProperties> UploadAsync(string container, string name, Stream content, BlobConditions? conditions = null,
        CancellationToken ct = default)
    {
        var options = new BlobUploadOptions { Conditions = Conditions(conditions) };
        try
        {
            var result = await Blob(container, name).UploadAsync(content, options, ct);
            long length = content.CanSeek ? content.Length : -1;
            return Map(name, result.Value.ETag, length, result.Value.LastModified, result.Value.ContentHash);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            throw new StorageConflictException($"{container}/{name}: {e.ErrorCode ?? e.Status.ToString()}", e);
        }
    }

    public async Task<bool> DeleteAsync(string container, string name, BlobConditions? conditions = null, CancellationToken ct = default)
    {
        try
        {
            var response = await Blob(container, name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, Conditions(conditions), ct);
            return response.Value;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            throw new StorageConflictException($"{container}/{name}: {e.ErrorCode ?? e.Status.ToString()}", e);
        }
    }

    public async IAsyncEnumerable<BlobProperties> ListAsync(string container, string? prefix = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var client = Service.GetBlobContainerClient(container);
        var pages = client.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct);
        await using var items = pages.GetAsyncEnumerator(ct);
        while (true)
        {
            try
            {
                if (!await items.MoveNextAsync()) yield break;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                yield break; // no container: nothing in it
            }
            var blob = items.Current;
            yield return Map(blob.Name, blob.Properties.ETag ?? default, blob.Properties.ContentLength ?? 0,
                blob.Properties.LastModified ?? default, blob.Properties.ContentHash);
        }
    }

    private BlobClient Blob(string container, string name) => Service.GetBlobContainerClient(container).GetBlobClient(name);

    private static BlobRequestConditions? Conditions(BlobConditions? conditions) => conditions switch
    {
        null => null,
        { IfNoneMatchAny: true } => new BlobRequestConditions { IfNoneMatch = ETag.All },
        { IfMatch: { } etag } => new BlobRequestConditions { IfMatch = new ETag(etag) },
        _ => null,
    };

    // A listing carries the ETag bare (0x8D…), a HEAD or download quoted ("0x8D…"): one form, quoted, so ETags compare equal
    // whichever call read them.
    private static BlobProperties Map(string name, ETag etag, long length, DateTimeOffset modified, byte[]? md5)
    {
        var value = etag.ToString();
        if (value.Length > 0 && !value.StartsWith('"') && !value.StartsWith("W/", StringComparison.Ordinal)) value = $"\"{value}\"";
        return new(name, value, length, modified, md5 is { Length: > 0 } ? md5 : null);
    }
}
