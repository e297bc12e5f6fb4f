using System.Text.Json;
using System.Text.Json.Serialization;
using FineTune.Training.Evaluation;

namespace FineTune.Training.Contract;

/// <summary>
/// jobs/{id}/evaluate/results.json: the evaluator's gate decision and its report. Written by <c>finetune eval --spec</c>,
/// read by the pipeline's gate and deploy activities and by the web console (which reads the gate's camelCase fields).
/// JSON through <see cref="EvaluationResultsJson"/>.
/// </summary>
public sealed record EvaluationResults(GateRecord Gate, JsonElement Report);

/// <summary>The gate as stored: <see cref="Outcome"/> is a <see cref="GateOutcome"/> name (Deploy, AwaitApproval, Fail).</summary>
public sealed record GateRecord(string Outcome, bool Passed, double BaseScore, double TunedScore, double MinImprovement,
    double Improvement, string Metric, string Reason)
{
    public static GateRecord From(GateDecision gate, string metric) =>
        new(gate.Outcome.ToString(), gate.Passed, gate.BaseScore, gate.TunedScore, gate.MinImprovement, gate.Improvement, metric, gate.Reason);
}

/// <summary>
/// The JSON of <see cref="EvaluationResults"/>: camelCase (the console's names since the first version), unknown fields an
/// error, indented for people.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = true)]
[JsonSerializable(typeof(EvaluationResults))]
public sealed partial class EvaluationResultsJson : JsonSerializerContext;
