namespace FineTune.Host.Serving;

/// <summary>A validated <c>POST /v1/chat/completions</c> body (the subset served; see <see cref="ChatRequestParser"/>).</summary>
public sealed record ChatCompletionRequest
{
    public required string Model { get; init; }
    public required IReadOnlyList<(string Role, string Content)> Messages { get; init; }
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }
    /// <summary>max_completion_tokens, or the legacy max_tokens; null: up to the context length.</summary>
    public int? MaxTokens { get; init; }
    public double Temperature { get; init; } = 1.0;
    public double TopP { get; init; } = 1.0;
    public long? Seed { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    public double FrequencyPenalty { get; init; }
    public double PresencePenalty { get; init; }
    /// <summary>Token id → bias in [-100, 100]; null when absent.</summary>
    public IReadOnlyDictionary<int, double>? LogitBias { get; init; }
}
