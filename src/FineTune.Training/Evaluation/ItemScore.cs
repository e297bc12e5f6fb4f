namespace FineTune.Training.Evaluation;

/// <summary>One output's extractions and whether each matches the reference.</summary>
public sealed record ItemScore(string Strict, string Flexible, bool CorrectStrict, bool CorrectFlexible);
