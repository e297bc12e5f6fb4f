using System.Security.Cryptography;
using System.Text;
using FineTune.Pipeline.Storage;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// Deterministic names of everything a job writes, so a stage re-run after a crash finds its own outputs.
/// A job started by a blob has the id derived from the blob's name and ETag: each blob version starts one job,
/// whichever trigger (scan, Event Grid, HTTP, Functions) sees it first.
/// </summary>
public static class JobPaths
{
    /// <summary>Paths relative to the job's folder in the jobs container (what /api/jobs/{id}/files/ serves).</summary>
    public const string ValidationReportFile = "validate/report.json";
    public const string SynthesisReportFile = "synthesize/report.json";

    public static string ValidationReport(string id) => $"{id}/{ValidationReportFile}";
    public static string SynthesisReport(string id) => $"{id}/{SynthesisReportFile}";
    public static string SynthesisChunks(string id) => $"{id}/synthesize/chunks/";
    public static string SynthesisPlan(string id) => $"{id}/synthesize/plan.json";
    public static string RunRecord(string id, string verb) => $"{id}/{verb}/run.json";
    public static string EvaluateSpec(string id) => $"{id}/evaluate/spec.json";
    public static string DefaultDeploymentName(string id) => $"ft-{id[..Math.Min(12, id.Length)]}";
    public static string ValidatedData(string id) => $"{id}/validated.jsonl";
    public static string SyntheticData(string id) => $"{id}/synthetic.jsonl";
    public static string SyntheticSources(string id) => $"{id}/synthetic.sources.jsonl";
    public static string TrainData(string id) => $"{id}/train.jsonl";
    public static string ValidationData(string id) => $"{id}/val.jsonl";
    public static string PrepareSummary(string id) => $"{id}/prepare/summary.json";
    public static string TrainSpec(string id) => $"{id}/train/spec.json";
    public static string TrainMetrics(string id) => $"{id}/train/metrics.jsonl";
    public static string EvaluationResults(string id) => $"{id}/evaluate/results.json";
    public static string AdapterFolder(string id) => $"{id}/";
    /// <summary>Written when a blob version's job is scheduled: the scan skips versions that have one (kept by purge, so a purged job does not come back).</summary>
    public static string Receipt(string id) => $"_receipts/{id}.json";

    /// <summary>32 hex characters of SHA-256 over container/name and the bare ETag.</summary>
    public static string IdFor(string container, string name, string etag)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{container}/{name}|{etag.Trim('"')}"));
        return Convert.ToHexStringLower(hash)[..32];
    }

    public static bool IsValidId(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    /// <summary>Every prefix a job writes under, per container (what purge deletes).</summary>
    public static IEnumerable<(string Container, string Prefix)> Everything(string id) =>
        [(Containers.Jobs, $"{id}/"), (Containers.Datasets, $"{id}/"), (Containers.Adapters, $"{id}/")];

    /// <summary>The storage URL-ish address a report or status links to: "container/name".</summary>
    public static string Address(string container, string name) => $"{container}/{name}";
}
