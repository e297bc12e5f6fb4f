using System.Text.Json;
using System.Text.Json.Serialization;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// A <c>*.job.json</c> beside the data (or in the same folder), or the manifest of a POST /api/jobs: what to train and how.
/// Every field is optional; the defaults fail invalid lines (as hosted services do) and deploy without a gate.
/// </summary>
public sealed record JobManifest
{
    public string? BaseModel { get; init; }
    public string? Preset { get; init; }
    /// <summary>Trainer settings passed through to the training spec (epochs, learning_rate, lora_r, …).</summary>
    public Dictionary<string, JsonElement>? Hyperparameters { get; init; }
    /// <summary>Added as the system message of examples that have none.</summary>
    public string? SystemPrompt { get; init; }
    /// <summary>Prefixed to every user message (a style/identity trigger word).</summary>
    public string? TriggerWord { get; init; }
    /// <summary>A blob in <c>datasets</c> (or <c>uploads</c>) used as the validation set instead of a split.</summary>
    public string? EvalSet { get; init; }
    /// <summary>General data mixed into training to keep general ability.</summary>
    public GeneralDataMix? GeneralData { get; init; }
    /// <summary>The deployment to create or update when the job succeeds.</summary>
    public string? DeploymentName { get; init; }
    /// <summary>"fail" (default): any invalid line fails the job. "drop": invalid lines are dropped and listed in the report.</summary>
    public string InvalidLines { get; init; } = "fail";
    /// <summary>When true, Deploy waits for an "approve" (or "reject") event.</summary>
    public bool RequireApproval { get; init; }
    /// <summary>The deployment gate: deploy when tuned accuracy ≥ base accuracy + this (default 0).</summary>
    public double MinImprovement { get; init; }
    /// <summary>When the gate is not passed: "wait" (default) for approve/reject, "fail" the job, or "deploy" anyway.</summary>
    public string OnGateFail { get; init; } = "wait";
    /// <summary>Fraction of examples held out for validation when no eval set is given.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    [JsonIgnore]
    public bool DropInvalidLines => InvalidLines.Equals("drop", StringComparison.OrdinalIgnoreCase);

    /// <summary>Problems a user can fix, or empty.</summary>
    public IReadOnlyList<string> Check()
    {
        var problems = new List<string>();
        if (!InvalidLines.Equals("fail", StringComparison.OrdinalIgnoreCase) && !DropInvalidLines)
            problems.Add($"invalidLines must be \"fail\" or \"drop\", not \"{InvalidLines}\"");
        if (ValidationFraction is < 0 or >= 1)
            problems.Add($"validationFraction must be in [0, 1), not {ValidationFraction}");
        if (MinImprovement is < -1 or > 1 || double.IsNaN(MinImprovement))
            problems.Add($"minImprovement must be in [-1, 1] (an accuracy difference), not {MinImprovement}");
        if (OnGateFail is not ("wait" or "fail" or "deploy"))
            problems.Add($"onGateFail must be \"wait\", \"fail\" or \"deploy\", not \"{OnGateFail}\"");
        if (GeneralData is { } mix && (mix.Fraction is <= 0 or > 1 || string.IsNullOrWhiteSpace(mix.Dataset)))
            problems.Add("generalData needs a dataset blob name and a fraction in (0, 1]");
        if (DeploymentName is { } name && (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
            problems.Add($"deploymentName \"{name}\" may only hold letters, digits, '-', '_' and '.'");
        return problems;
    }
}

/// <param name="Dataset">A chat JSONL blob in <c>datasets</c>.</param>
/// <param name="Fraction">General examples added, as a fraction of the task examples.</param>
public sealed record GeneralDataMix(string Dataset, double Fraction);
