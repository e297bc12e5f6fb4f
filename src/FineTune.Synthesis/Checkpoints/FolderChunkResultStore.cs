using System.Text.Json;

namespace FineTune.Synthesis;

/// <summary>
/// One JSON file per chunk, <c>FOLDER/CHUNK_ID.json</c> (by default <c>OUT.jsonl.chunks/</c>). Written to a temporary
/// file and renamed, so a kill mid-write leaves the old state; an unreadable file counts as missing.
/// </summary>
public sealed class FolderChunkResultStore(string folder) : IChunkResultStore
{
    internal static readonly JsonSerializerOptions Json = SynthesisJsonContext.Files;

    public string Folder { get; } = folder;

    /// <summary>The default folder for an output file: "OUT.jsonl.chunks" beside it.</summary>
    public static string DefaultFolderFor(string outputPath) => outputPath + ".chunks";

    public async Task<ChunkResult?> TryGetAsync(string chunkId, CancellationToken ct)
    {
        var path = PathOf(chunkId);
        if (!File.Exists(path))
            return null;
        try
        {
            await using var stream = File.OpenRead(path);
            var result = await JsonSerializer.DeserializeAsync<ChunkResult>(stream, Json, ct);
            return result?.ChunkId == chunkId ? result : null;
        }
        catch (JsonException)
        {
            return null; // a damaged checkpoint: the chunk is generated again
        }
    }

    public async Task SaveAsync(ChunkResult result, CancellationToken ct)
    {
        Directory.CreateDirectory(Folder);
        var path = PathOf(result.ChunkId);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        await using (var stream = File.Create(temporary))
            await JsonSerializer.SerializeAsync(stream, result, Json, ct);
        File.Move(temporary, path, overwrite: true);
    }

    private string PathOf(string chunkId)
    {
        if (chunkId.Length == 0 || chunkId.IndexOfAny([.. Path.GetInvalidFileNameChars(), '/', '\\']) >= 0 || chunkId.StartsWith('.'))
            throw new ArgumentException($"'{chunkId}' cannot be used as a file name", nameof(chunkId));
        return Path.Combine(Folder, chunkId + ".json");
    }
}
