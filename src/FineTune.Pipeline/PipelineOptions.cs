using System.ComponentModel.DataAnnotations;
using FineTune.Pipeline.Activities;

namespace FineTune.Pipeline;

/// <summary>
/// Settings of the job orchestration, its activities and the drop-zone triggers: configuration section "Pipeline"
/// (Pipeline__X in local.settings.json Values or the environment). Validated at start-up.
/// </summary>
public sealed class PipelineOptions : IValidatableObject
{
    public const string Section = "Pipeline";

    /// <summary>How often the uploads container is listed for blobs without a job; 0 disables the scan (a Functions blob trigger delivers instead).</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromMilliseconds(250);
    /// <summary>A file in the local drop folder must stay unchanged (size and time) this long before it is uploaded: a copy may still be writing it.</summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromSeconds(3);
    /// <summary>The first interval between checks of a running training or evaluation (a durable timer); it grows to <see cref="MaxTrainingPollInterval"/>.</summary>
    public TimeSpan TrainingPollInterval { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan MaxTrainingPollInterval { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>A training or evaluation run still going after this long is stopped and the job fails.</summary>
    public TimeSpan MaxRunDuration { get; set; } = TimeSpan.FromHours(72);
    /// <summary>Attempts of an activity that fails with a transient fault (Durable's retry policy), with exponential backoff.</summary>
    [Range(1, 20)] public int ActivityMaxAttempts { get; set; } = 4;
    public TimeSpan ActivityFirstRetry { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan ActivityMaxRetry { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Chunks of a document per synthesis activity (the fan-out unit).</summary>
    [Range(1, 256)] public int SynthesisBatchSize { get; set; } = 8;
    /// <summary>Local folders a manifest's baseModel may name (anything else must be a storage address "models/NAME").</summary>
    public List<string> ModelRoots { get; set; } = [];
    /// <summary>
    /// Local model folders a manifest's baseModel may name by their key alone (the model `finetune serve --model` serves is
    /// one, under its id): jobs, the console and the API show the name, never the folder; the local trainer is told the folder.
    /// </summary>
    public Dictionary<string, string> LocalModels { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Where activities and the local trainer keep work files, one folder per job, removed when the job ends.</summary>
    public string WorkDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "finetune-work");
    /// <summary>The LLM endpoint of the Synthesize stage (documents → Q&amp;A).</summary>
    public SynthesisSettings Synthesis { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (ScanInterval < TimeSpan.Zero) yield return new("ScanInterval must not be negative", [nameof(ScanInterval)]);
        if (SettleTime < TimeSpan.Zero) yield return new("SettleTime must not be negative", [nameof(SettleTime)]);
        if (TrainingPollInterval < TimeSpan.FromMilliseconds(100) || MaxTrainingPollInterval < TrainingPollInterval)
            yield return new("TrainingPollInterval must be at least 100 ms and at most MaxTrainingPollInterval", [nameof(TrainingPollInterval)]);
        if (ActivityFirstRetry <= TimeSpan.Zero || ActivityMaxRetry < ActivityFirstRetry)
            yield return new("ActivityFirstRetry must be positive and at most ActivityMaxRetry", [nameof(ActivityFirstRetry)]);
        foreach (var root in ModelRoots.Where(r => !Path.IsPathFullyQualified(r)))
            yield return new($"ModelRoots entries must be absolute paths, not \"{root}\"", [nameof(ModelRoots)]);
        foreach (var (name, folder) in LocalModels.Where(m => m.Key.Length == 0 || m.Key.Contains('/') || !Path.IsPathFullyQualified(m.Value)))
            yield return new($"LocalModels \"{name}\" must be a name without '/' for an absolute folder", [nameof(LocalModels)]);
    }
}
