namespace FineTune.Training.Evaluation;

/// <summary>What the deployment gate decided, with both scores and why.</summary>
/// <param name="Passed">Whether tuned ≥ base + min improvement (the decision can still be Deploy when it did not, if the manifest says so).</param>
public sealed record GateDecision(
    GateOutcome Outcome, bool Passed, double BaseScore, double TunedScore, double MinImprovement, double Improvement, string Reason);
