namespace FineTune.Synthesis;

/// <summary>
/// What one chunk produced, stored as soon as the chunk completes so a restarted job never pays for it again.
/// <see cref="Fingerprint"/> names the settings that produced it (model, prompt, trigger word, counts, sampling); a
/// result made with other settings is not reused. <see cref="Candidates"/> = pairs + the sum of <see cref="Dropped"/>.
/// </summary>
public sealed record ChunkResult
{
    public required string ChunkId { get; init; }
    public required string SourceFile { get; init; }
    public required int FirstPage { get; init; }
    public required int LastPage { get; init; }
    public required string Fingerprint { get; init; }
    public required int Rounds { get; init; }
    public required long PromptTokens { get; init; }
    public required long CompletionTokens { get; init; }
    /// <summary>Objects the model wrote (kept or not).</summary>
    public required int Candidates { get; init; }
    public required IReadOnlyList<QaPair> Pairs { get; init; }
    public required IReadOnlyDictionary<string, int> Dropped { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
}
