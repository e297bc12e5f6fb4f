namespace FineTune.Training.Evaluation;

/// <summary>How every variant decoded: greedy unless a temperature is set; generation stops at these tokens.</summary>
public sealed record DecodingSettings(bool Greedy, double Temperature, double TopP, ulong? Seed, int MaxNewTokens, int BatchSize, IReadOnlyList<string> Stop);
