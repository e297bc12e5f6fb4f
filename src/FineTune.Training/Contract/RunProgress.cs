using System.Text.Json;

namespace FineTune.Training.Contract;

/// <summary>
/// How far a training or evaluation run is, as the process reports it: one stdout line <c>progress {json}</c> per event
/// (<see cref="ToLine"/>), which the pipeline's local backend reads back with <see cref="FromLine"/>. Training fills the step
/// fields, evaluation the variant fields.
/// </summary>
public sealed record RunProgress
{
    public const string LinePrefix = "progress ";

    /// <summary>Share of the run done, 0 to 1.</summary>
    public required double Fraction { get; init; }
    public long? Step { get; init; }
    public long? TotalSteps { get; init; }
    /// <summary>Fractional epoch: 1.5 is half way through the second.</summary>
    public double? Epoch { get; init; }
    public double? Loss { get; init; }
    /// <summary>Evaluation: the variant being generated (base, tuned, epoch-N), and its items done out of its total.</summary>
    public string? Variant { get; init; }
    public int? Done { get; init; }
    public int? Total { get; init; }

    public static RunProgress From(StepMetrics m) => new()
    {
        Fraction = m.Progress, Step = m.Step, TotalSteps = m.TotalSteps, Epoch = m.Epoch, Loss = m.Loss,
    };

    public string ToLine() => LinePrefix + JsonSerializer.Serialize(this, RunContractJson.Default.RunProgress);

    /// <summary>
    /// The progress a stdout line reports, or null for any other line; <see cref="InvalidDataException"/> when a progress
    /// line does not match this contract (a trainer of another version, say).
    /// </summary>
    public static RunProgress? FromLine(string? line) =>
        line is not null && line.StartsWith(LinePrefix, StringComparison.Ordinal)
            ? RunContractJson.Read(line[LinePrefix.Length..], RunContractJson.Default.RunProgress, "progress line")
            : null;
}
