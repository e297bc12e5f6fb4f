namespace FineTune.Training.Evaluation;

/// <summary>One line of a per-item file (items.NAME.jsonl): what the model saw, said, and how it scored.</summary>
/// <param name="Prompt">The rendered prompt text (chat template, shots, generation prompt).</param>
/// <param name="Reference">The normalized reference the extractions are compared with.</param>
public sealed record EvalItemResult(
    int Index, string Prompt, string Output, string ExtractedStrict, string ExtractedFlexible, string Reference,
    bool CorrectStrict, bool CorrectFlexible, string FinishReason, int PromptTokens, int Tokens);
