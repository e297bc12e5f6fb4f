namespace FineTune.Models.Generation;

/// <summary>
/// How to pick each next token. Temperature 0 is greedy. Top-k, top-p and the repetition penalty
/// behave as in transformers' logits processors (penalty divides positive and multiplies negative
/// scores of tokens already in the sequence).
/// </summary>
public sealed record SamplingOptions
{
    public int MaxNewTokens { get; init; } = 256;
    public double Temperature { get; init; }
    public double TopP { get; init; } = 1.0;
    public int TopK { get; init; }
    public double RepetitionPenalty { get; init; } = 1.0;
    /// <summary>OpenAI's frequency_penalty in [-2, 2]: subtracted from a token's logit once per time it was generated so far (<see cref="BatchDecoder"/>).</summary>
    public double FrequencyPenalty { get; init; }
    /// <summary>OpenAI's presence_penalty in [-2, 2]: subtracted from the logit of every token generated so far (<see cref="BatchDecoder"/>).</summary>
    public double PresencePenalty { get; init; }
    /// <summary>OpenAI's logit_bias: token id → value in [-100, 100] added to its logit at every step (<see cref="BatchDecoder"/>).</summary>
    public IReadOnlyDictionary<int, double>? LogitBias { get; init; }
    /// <summary>Token ids that end a sequence (the model's eos ids, usually).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary>Seed of the sampler; null draws one. Ignored when greedy.</summary>
    public ulong? Seed { get; init; }

    public bool Greedy => Temperature <= 0;

    /// <summary>Whether frequency, presence penalty or logit bias change the logits (only <see cref="BatchDecoder"/> applies them).</summary>
    public bool HasOpenAiPenalties => FrequencyPenalty != 0 || PresencePenalty != 0 || LogitBias is { Count: > 0 };

    /// <summary>Throws naming the first value out of range.</summary>
    public SamplingOptions Validate()
    {
        if (MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "max new tokens must be >= 1");
        if (Temperature < 0 || double.IsNaN(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be >= 0");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top_p must be in (0, 1]");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "top_k must be >= 0 (0 = off)");
        if (!(RepetitionPenalty > 0)) throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "repetition penalty must be > 0");
        if (!(FrequencyPenalty is >= -2 and <= 2)) throw new ArgumentOutOfRangeException(nameof(FrequencyPenalty), FrequencyPenalty, "frequency penalty must be in [-2, 2]");
        if (!(PresencePenalty is >= -2 and <= 2)) throw new ArgumentOutOfRangeException(nameof(PresencePenalty), PresencePenalty, "presence penalty must be in [-2, 2]");
        foreach (var (id, bias) in LogitBias ?? new Dictionary<int, double>())
        {
            if (id < 0) throw new ArgumentOutOfRangeException(nameof(LogitBias), id, "logit bias token ids must be >= 0");
            if (!(bias is >= -100 and <= 100)) throw new ArgumentOutOfRangeException(nameof(LogitBias), bias, $"logit bias of token {id} must be in [-100, 100]");
        }
        return this;
    }
}

public enum FinishReason
{
    /// <summary>An eos token or a stop condition.</summary>
    Stop,
    /// <summary>Max new tokens reached.</summary>
    Length,
}

/// <summary>One sequence's generated tokens (eos excluded) and why it ended.</summary>
public sealed record GenerationResult(int[] Tokens, FinishReason FinishReason, int PromptTokens);
