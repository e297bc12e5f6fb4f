using System.Text.Json;
using System.Text.Json.Serialization;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// A <c>*.job.json</c> beside the data (or in the same folder), or the manifest of a POST /api/jobs: what to train and how.
/// Every field is optional; the defaults fail invalid lines (as hosted services do) and deploy without a gate.
/// An unknown field is an error (a typo such as "requireAproval" must not deploy without approval), and every text
/// field has a size limit, since the manifest travels in the job's input and status.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record JobManifest
{
    public const int MaxSystemPromptChars = 16 * 1024;
    public const int MaxShortFieldChars = 256;
    public const int MaxPathChars = 1024;

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
    /// <summary>How long the gate waits for approve/reject before the job fails (hours; default 7 days).</summary>
    public double ApprovalTimeoutHours { get; init; } = 168;

    [JsonIgnore]
    public bool DropInvalidLines => InvalidLines.Equals("drop", StringComparison.OrdinalIgnoreCase);

    /// <summary>Problems a user can fix, or empty.</summary>
    public IReadOnlyList<string> Check()
    {
        var problems = new List<string>();
        Size(problems, "systemPrompt", SystemPrompt, MaxSystemPromptChars);
        Size(problems, "triggerWord", TriggerWord, MaxShortFieldChars);
        Size(problems, "preset", Preset, MaxShortFieldChars);
        Size(problems, "deploymentName", DeploymentName, 63);
        Size(problems, "baseModel", BaseModel, MaxPathChars);
        Size(problems, "evalSet", EvalSet, MaxPathChars);
        Size(problems, "generalData.dataset", GeneralData?.Dataset, MaxPathChars);
        if (Hyperparameters is { Count: > 64 }) problems.Add($"hyperparameters has {Hyperparameters.Count} entries; at most 64");
        if (ApprovalTimeoutHours is <= 0 or > 24 * 365 || double.IsNaN(ApprovalTimeoutHours))
            problems.Add($"approvalTimeoutHours must be in (0, 8760], not {ApprovalTimeoutHours}");
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

    private static void Size(List<string> problems, string field, string? value, int max)
    {
        if (value is not null && value.Length > max) problems.Add($"{field} is {value.Length} characters long; at most {max}");
    }
}

/// <param name="Dataset">A chat JSONL blob in <c>datasets</c>.</param>
/// <param name="Fraction">General examples added, as a fraction of the task examples.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record GeneralDataMix(string Dataset, double Fraction);
