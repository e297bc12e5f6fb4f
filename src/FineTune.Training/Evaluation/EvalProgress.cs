namespace FineTune.Training.Evaluation;

/// <summary>Progress of one variant: items generated so far out of its total.</summary>
public sealed record EvalProgress(string Variant, int Done, int Total);
