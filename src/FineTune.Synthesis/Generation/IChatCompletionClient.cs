namespace FineTune.Synthesis;

/// <summary>One chat completion: a single user message in, the model's text and token usage out.</summary>
public interface IChatCompletionClient
{
    Task<CompletionResult> CompleteAsync(string prompt, GenerationSettings settings, CancellationToken ct);
}

/// <summary>The model's reply. <see cref="FinishReason"/> is "length" when max_tokens cut it short.</summary>
public sealed record CompletionResult(string Text, int PromptTokens, int CompletionTokens, string? FinishReason);
