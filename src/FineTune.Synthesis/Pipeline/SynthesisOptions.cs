using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FineTune.Synthesis;

/// <summary>Everything a synthesis job needs besides its documents and its client.</summary>
public sealed record SynthesisOptions
{
    /// <summary>The "trigger word": the system message of every generated example (e.g. "你是消防系统专家").</summary>
    public required string SystemPrompt { get; init; }
    public required GenerationSettings Generation { get; init; }
    public int QuestionsPerChunk { get; init; } = 10;
    /// <summary>When set, a chunk is asked again (for new questions) until it has this many kept pairs, at most
    /// <see cref="MaxRoundsPerChunk"/> requests. Null: one request per chunk.</summary>
    public int? TargetPairsPerChunk { get; init; }
    public int MaxRoundsPerChunk { get; init; } = 3;
    public SynthesisLanguage Language { get; init; } = SynthesisLanguage.Zh;
    /// <summary>Null: the default prompt of <see cref="Language"/>.</summary>
    public PromptTemplate? Prompt { get; init; }
    public ChunkingOptions Chunking { get; init; } = new();
    /// <summary>Questions at least this similar (Jaccard of <see cref="TextFeatures"/>) to a kept one are dropped.</summary>
    public double DuplicateThreshold { get; init; } = 0.7;
    /// <summary>Answers whose <see cref="GroundingScorer"/> score is below this are flagged.</summary>
    public double GroundingThreshold { get; init; } = 0.3;
    /// <summary>Drop flagged answers instead of keeping them (flagged in the sources file).</summary>
    public bool DropUngrounded { get; init; }
    /// <summary>Chunks worked on at once (requests in flight are bounded again by the resilient client).</summary>
    public int ChunkParallelism { get; init; } = 4;
    public string PdfToTextPath { get; init; } = "pdftotext";

    public PromptTemplate EffectivePrompt => Prompt ?? PromptTemplate.Default(Language);

    public SynthesisOptions Validated()
    {
        if (string.IsNullOrWhiteSpace(SystemPrompt))
            throw new ArgumentException("the system prompt (trigger word) must not be empty", nameof(SystemPrompt));
        Generation.Validated();
        Chunking.Validated();
        if (QuestionsPerChunk is < 1 or > 100)
            throw new ArgumentOutOfRangeException(nameof(QuestionsPerChunk), QuestionsPerChunk, "must be between 1 and 100");
        if (TargetPairsPerChunk is < 1)
            throw new ArgumentOutOfRangeException(nameof(TargetPairsPerChunk), TargetPairsPerChunk, "must be at least 1");
        if (MaxRoundsPerChunk is < 1 or > 20)
            throw new ArgumentOutOfRangeException(nameof(MaxRoundsPerChunk), MaxRoundsPerChunk, "must be between 1 and 20");
        if (DuplicateThreshold is <= 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(DuplicateThreshold), DuplicateThreshold, "must be in (0, 1]");
        if (GroundingThreshold is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(GroundingThreshold), GroundingThreshold, "must be in [0, 1]");
        if (ChunkParallelism < 1)
            throw new ArgumentOutOfRangeException(nameof(ChunkParallelism), ChunkParallelism, "must be at least 1");
        return this;
    }

    /// <summary>Names the settings that shape a chunk's result; a stored result with another fingerprint is redone.</summary>
    public string Fingerprint()
    {
        var identity = JsonSerializer.Serialize(new object[]
        {
            Generation.Model, Generation.Temperature, Generation.MaxTokens, Generation.FrequencyPenalty,
            EffectivePrompt.Text, SystemPrompt, QuestionsPerChunk, TargetPairsPerChunk ?? 0, TargetPairsPerChunk is null ? 1 : MaxRoundsPerChunk,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
    }
}
