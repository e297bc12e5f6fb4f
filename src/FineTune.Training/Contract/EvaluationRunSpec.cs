namespace FineTune.Training.Contract;

/// <summary>
/// The Evaluate stage's spec, jobs/{id}/evaluate/spec.json: written by the pipeline (StartRunActivity), read by
/// `finetune eval --spec container/name` (with FINETUNE_STORAGE). JSON through <see cref="RunContractJson"/>.
/// </summary>
public sealed record EvaluationRunSpec
{
    public required string JobId { get; init; }
    public required string BaseModel { get; init; }
    /// <summary>The trained adapter's prefix (the Train stage's output), with checkpoints/epoch-N/ under it.</summary>
    public required string Adapter { get; init; }
    /// <summary>The evaluation items (GSM8K or chat JSONL).</summary>
    public required string Data { get; init; }
    /// <summary>Where results.json ({gate, report}) goes; the report and per-item files go beside it.</summary>
    public required string Results { get; init; }
    /// <summary>The deployment gate: tuned ≥ base + this.</summary>
    public double MinImprovement { get; init; }
    /// <summary>When the gate is not passed: wait, fail or deploy.</summary>
    public string OnGateFail { get; set; } = "wait";
    public int MaxNewTokens { get; set; } = 128;
    public int BatchSize { get; set; } = 16;
}
