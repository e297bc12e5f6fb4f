namespace FineTune.Training.Contract;

/// <summary>
/// The Train stage's spec, jobs/{id}/train/spec.json: written by the pipeline (StartRunActivity), read by
/// `finetune train --spec container/name` (with FINETUNE_STORAGE). Locations are storage addresses "container/name".
/// JSON through <see cref="RunContractJson"/>.
/// </summary>
public sealed record TrainingRunSpec
{
    public required string JobId { get; init; }
    /// <summary>"models/NAME" in storage, or a local model folder.</summary>
    public required string BaseModel { get; init; }
    public string Preset { get; set; } = "standard";
    /// <summary>Overrides of the preset, canonical snake_case names (the manifest's aliases resolved).</summary>
    public HyperparameterOverrides? Hyperparameters { get; init; }
    /// <summary>Allow hyperparameters beyond the hosted-service ranges.</summary>
    public bool Expert { get; init; }
    /// <summary>Training data (chat JSONL).</summary>
    public required string Train { get; init; }
    /// <summary>Validation data; absent or empty means none.</summary>
    public string? Validation { get; init; }
    /// <summary>Where the adapter, checkpoints/ and result.json go (a prefix).</summary>
    public required string Output { get; init; }
    /// <summary>Where metrics lines (<see cref="StepMetrics"/>, <see cref="EpochMetrics"/>) go as they come, or null for none.</summary>
    public string? Metrics { get; init; }
    /// <summary>A metrics line every this many optimizer steps.</summary>
    public int LogEvery { get; set; } = 5;
}
