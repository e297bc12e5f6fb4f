namespace FineTune.Data;

/// <summary>The examples of a mix, in training order, and how many came from each side.</summary>
public sealed record MixResult(IReadOnlyList<ChatExample> Examples, long Task, long General, long GeneralAvailable);
