using System.Globalization;

namespace FineTune.Training.Evaluation;

/// <summary>
/// Deploy when the tuned score is at least the base score plus <c>minImprovement</c>; otherwise do what the
/// job's manifest says: <c>wait</c> for an approve/reject event (default), <c>fail</c> the job, or
/// <c>deploy</c> anyway. Scores are accuracies in [0, 1]; differences within 1e-9 count as equal, so
/// 0.3 − 0.2 ≥ 0.1 passes despite floating point.
/// </summary>
public static class DeploymentGate
{
    public static readonly IReadOnlyList<string> OnFailValues = ["wait", "fail", "deploy"];
    private const double Tolerance = 1e-9;

    public static GateDecision Decide(double baseScore, double tunedScore, double minImprovement = 0, string onFail = "wait")
    {
        CheckScore(baseScore, nameof(baseScore));
        CheckScore(tunedScore, nameof(tunedScore));
        if (double.IsNaN(minImprovement) || minImprovement < -1 || minImprovement > 1)
            throw new ArgumentOutOfRangeException(nameof(minImprovement), minImprovement, "min improvement must be in [-1, 1]");
        if (!OnFailValues.Contains(onFail))
            throw new ArgumentException($"on-fail must be one of {string.Join(", ", OnFailValues)}, not '{onFail}'", nameof(onFail));

        double improvement = tunedScore - baseScore;
        bool passed = improvement >= minImprovement - Tolerance;
        string scores = $"tuned {F(tunedScore)} vs base {F(baseScore)} ({(improvement >= 0 ? "+" : "")}{F(improvement)}; required {(minImprovement >= 0 ? "+" : "")}{F(minImprovement)})";
        if (passed) return new GateDecision(GateOutcome.Deploy, true, baseScore, tunedScore, minImprovement, improvement, $"gate passed: {scores}");
        var (outcome, action) = onFail switch
        {
            "fail" => (GateOutcome.Fail, "the job fails"),
            "deploy" => (GateOutcome.Deploy, "deploying anyway (on-fail: deploy)"),
            _ => (GateOutcome.AwaitApproval, "waiting for an approve or reject event"),
        };
        return new GateDecision(outcome, false, baseScore, tunedScore, minImprovement, improvement, $"gate not passed: {scores}; {action}");
    }

    /// <summary>The gate on a report: <paramref name="tuned"/>'s score against base's in one extraction mode.</summary>
    public static GateDecision Decide(EvalReport report, string tuned, double minImprovement = 0, string onFail = "wait",
        ExtractionMode mode = ExtractionMode.Flexible) =>
        Decide(report.Score(AdapterRef.BaseName, mode), report.Score(tuned, mode), minImprovement, onFail);

    private static void CheckScore(double score, string name)
    {
        if (double.IsNaN(score) || score < 0 || score > 1) throw new ArgumentOutOfRangeException(name, score, "a score is an accuracy in [0, 1]");
    }

    private static string F(double x) => x.ToString("0.####", CultureInfo.InvariantCulture);
}
