namespace FineTune.Synthesis;

/// <summary>Sampling settings of each request; the defaults are those of the known-good Dify workflow.</summary>
public sealed record GenerationSettings
{
    /// <summary>Model name (for Azure OpenAI: the deployment name).</summary>
    public required string Model { get; init; }
    public float Temperature { get; init; } = 0.3f;
    public int MaxTokens { get; init; } = 4096;
    public float FrequencyPenalty { get; init; } = 0.5f;
    /// <summary>Send the limit as the legacy "max_tokens" field instead of the SDK's "max_completion_tokens", for
    /// OpenAI-compatible servers that only know the older name.</summary>
    public bool LegacyMaxTokensField { get; init; }

    public GenerationSettings Validated()
    {
        if (string.IsNullOrWhiteSpace(Model))
            throw new ArgumentException("a model name is required", nameof(Model));
        if (Temperature is < 0 or > 2)
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be in [0, 2]");
        if (MaxTokens < 16)
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "max_tokens must be at least 16");
        if (FrequencyPenalty is < -2 or > 2)
            throw new ArgumentOutOfRangeException(nameof(FrequencyPenalty), FrequencyPenalty, "frequency_penalty must be in [-2, 2]");
        return this;
    }
}
