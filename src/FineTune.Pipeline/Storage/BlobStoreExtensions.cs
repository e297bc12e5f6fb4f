using System.Text;
using System.Text.Json;

namespace FineTune.Pipeline.Storage;

/// <summary>Byte, text and JSON conveniences over <see cref="IBlobStore"/>.</summary>
public static class BlobStoreExtensions
{
    public static Task<BlobProperties> UploadBytesAsync(this IBlobStore store, string container, string name, ReadOnlyMemory<byte> bytes,
        BlobConditions? conditions = null, CancellationToken ct = default)
    {
        var stream = new MemoryStream(bytes.ToArray(), writable: false);
        return store.UploadAsync(container, name, stream, conditions, ct);
    }

    public static Task<BlobProperties> UploadTextAsync(this IBlobStore store, string container, string name, string text,
        BlobConditions? conditions = null, CancellationToken ct = default) =>
        store.UploadBytesAsync(container, name, Encoding.UTF8.GetBytes(text), conditions, ct);

    public static Task<BlobProperties> UploadJsonAsync<T>(this IBlobStore store, string container, string name, T value,
        JsonSerializerOptions options, BlobConditions? conditions = null, CancellationToken ct = default) =>
        store.UploadBytesAsync(container, name, JsonSerializer.SerializeToUtf8Bytes(value, options), conditions, ct);

    /// <summary>The blob's bytes and the ETag of the version read, or null when it does not exist.</summary>
    public static async Task<(byte[] Bytes, BlobProperties Properties)?> ReadBytesAsync(this IBlobStore store, string container,
        string name, CancellationToken ct = default)
    {
        await using var download = await store.OpenReadAsync(container, name, ct);
        if (download is null) return null;
        using var buffer = new MemoryStream();
        await download.Content.CopyToAsync(buffer, ct);
        return (buffer.ToArray(), download.Properties);
    }

    public static async Task<string?> ReadTextAsync(this IBlobStore store, string container, string name, CancellationToken ct = default)
    {
        var read = await store.ReadBytesAsync(container, name, ct);
        return read is null ? null : Encoding.UTF8.GetString(read.Value.Bytes);
    }

    public static async Task<(T Value, string ETag)?> ReadJsonAsync<T>(this IBlobStore store, string container, string name,
        JsonSerializerOptions options, CancellationToken ct = default)
    {
        var read = await store.ReadBytesAsync(container, name, ct);
        if (read is null) return null;
        var value = JsonSerializer.Deserialize<T>(read.Value.Bytes, options)
            ?? throw new InvalidDataException($"{container}/{name} holds JSON null");
        return (value, read.Value.Properties.ETag);
    }

    /// <summary>Creates the blob only when it does not exist; false when it already did.</summary>
    public static async Task<bool> TryCreateAsync(this IBlobStore store, string container, string name, ReadOnlyMemory<byte> bytes,
        CancellationToken ct = default)
    {
        try
        {
            await store.UploadBytesAsync(container, name, bytes, BlobConditions.CreateOnly, ct);
            return true;
        }
        catch (StorageConflictException)
        {
            return false;
        }
    }
}
