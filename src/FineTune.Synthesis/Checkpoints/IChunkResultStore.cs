namespace FineTune.Synthesis;

/// <summary>
/// Where finished chunks are kept. A folder of JSON files by default (<see cref="FolderChunkResultStore"/>); the
/// pipeline service stores them in blob storage. Saving must be atomic: a reader sees the whole result or none.
/// </summary>
public interface IChunkResultStore
{
    /// <summary>The stored result, or null when there is none (or it cannot be read, so the chunk is done again).</summary>
    Task<ChunkResult?> TryGetAsync(string chunkId, CancellationToken ct);

    Task SaveAsync(ChunkResult result, CancellationToken ct);
}
