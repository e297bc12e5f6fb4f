using System.Text.Json;
using FineTune.Pipeline.Storage;
using FineTune.Synthesis;

namespace FineTune.Pipeline.Activities;

/// <summary>Synthesis checkpoints as blobs (one JSON per chunk), so a re-run on any host resumes where the last stopped.</summary>
public sealed class BlobChunkResultStore(IBlobStore blobs, string container, string prefix) : IChunkResultStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<ChunkResult?> TryGetAsync(string chunkId, CancellationToken ct)
    {
        var bytes = await blobs.ReadBytesAsync(container, prefix + chunkId + ".json", ct);
        if (bytes is null) return null;
        try
        {
            var result = JsonSerializer.Deserialize<ChunkResult>(bytes.Value.Bytes, Json);
            return result?.ChunkId == chunkId ? result : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public Task SaveAsync(ChunkResult result, CancellationToken ct) =>
        blobs.UploadBytesAsync(container, prefix + result.ChunkId + ".json", JsonSerializer.SerializeToUtf8Bytes(result, Json), ct: ct);
}
