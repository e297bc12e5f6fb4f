namespace FineTune.Synthesis;

/// <summary>
/// What a synthesis job did. Pair counts cover every chunk of the output (resumed ones included), so
/// <c>Generated = Kept + Σ DroppedByReason</c> and a resumed job reports the same pairs as an uninterrupted one;
/// request and token counts are split into this run (billed now) and all chunks (billed over every run).
/// </summary>
public sealed record SynthesisReport
{
    public required string Output { get; init; }
    public required string SourcesFile { get; init; }
    public required IReadOnlyList<DocumentSummary> Documents { get; init; }
    public required ChunkCounts Chunks { get; init; }
    public required CallCounts Calls { get; init; }
    public required TokenCounts Tokens { get; init; }
    public required PairCounts Pairs { get; init; }
    public required double ElapsedSeconds { get; init; }

    /// <summary>The report on one line (camelCase), as `finetune synthesize --json` prints it.</summary>
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, SynthesisJsonContext.Lines);

    /// <summary>True when every chunk completed.</summary>
    public bool Complete => Chunks.Failed == 0;

    public sealed record DocumentSummary(string File, int Pages, int Characters, int Chunks);

    public sealed record ChunkCounts(int Total, int Generated, int Resumed, int Failed, IReadOnlyList<FailedChunk> FailedChunks);

    public sealed record FailedChunk(string ChunkId, string SourceFile, string Pages, string Error);

    /// <summary>Requests = prompts sent this run; Attempts = HTTP calls including retries (tries turned away by an open
    /// circuit are counted under RetriesByCause["circuit_open"], not as attempts).</summary>
    public sealed record CallCounts(long Requests, long Attempts, long Retries, IReadOnlyDictionary<string, long> RetriesByCause, long Failed);

    public sealed record TokenCounts(long PromptThisRun, long CompletionThisRun, long PromptAllChunks, long CompletionAllChunks);

    public sealed record PairCounts(long Generated, long Kept, long Dropped, IReadOnlyDictionary<string, long> DroppedByReason, long FlaggedUngrounded);
}
