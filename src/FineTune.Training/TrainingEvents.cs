namespace FineTune.Training;

/// <summary>
/// One metrics line (metrics.jsonl, and the pipeline's metrics blob), every <c>log_every</c> optimizer steps.
/// <see cref="Type"/> is "step"; JSON through <see cref="Contract.MetricsLine"/>.
/// </summary>
public sealed record StepMetrics(
    string Type, int Step, int TotalSteps, double Epoch, double Loss, double LearningRate, double GradNorm,
    double TokensPerSecond, long Tokens, double ElapsedSeconds, long PeakMemoryBytes)
{
    public const string Kind = "step";

    /// <summary>Share of the run's steps done, 0 to 1 (4 decimals); written, not read back.</summary>
    public double Progress => TotalSteps == 0 ? 0 : Math.Round((double)Step / TotalSteps, 4);
}

/// <summary>
/// End of an epoch: mean training loss, validation loss (null without a validation set), checkpoint written.
/// <see cref="Type"/> is "epoch".
/// </summary>
public sealed record EpochMetrics(string Type, int Epoch, int Step, double TrainLoss, double? ValidationLoss, string Checkpoint, double ElapsedSeconds)
{
    public const string Kind = "epoch";
}

/// <summary>
/// result.json, written when the run ends. <see cref="LastEpochMeanLoss"/> is the mean training loss per trained token
/// over the last epoch (its <see cref="EpochMetrics.TrainLoss"/>), not one batch's; <see cref="ValidationLoss"/> is the
/// validation loss after the last epoch (null without a validation set). Both are null if no epoch ran.
/// </summary>
public sealed record TrainingResult(
    string Status, double? LastEpochMeanLoss, double? ValidationLoss, long TokensTrained, long TrainedLabelTokens, int Steps, int Epochs,
    double DurationSeconds, string Adapter, IReadOnlyList<string> Checkpoints, int Examples, int ValidationExamples,
    int TruncatedExamples, int SkippedExamples, string ChatTemplate, string Device, IReadOnlyList<EpochMetrics> EpochHistory);
