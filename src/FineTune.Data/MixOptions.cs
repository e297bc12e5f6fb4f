namespace FineTune.Data;

/// <summary>
/// How much general-purpose data to mix into a task dataset: either <see cref="GeneralFraction"/>
/// (the share of the final mix that is general data, in [0, 1)) or an absolute <see cref="GeneralCount"/>.
/// </summary>
public sealed record MixOptions
{
    public double? GeneralFraction { get; init; }
    public long? GeneralCount { get; init; }
    /// <summary>Changes which general examples are picked and the order of the mix; the same seed gives the same mix.</summary>
    public string Seed { get; init; } = "";

    public long GeneralWanted(long taskCount)
    {
        if (GeneralFraction.HasValue == GeneralCount.HasValue)
            throw new ArgumentException("give exactly one of GeneralFraction and GeneralCount");
        if (GeneralCount is { } count)
            return count >= 0 ? count : throw new ArgumentOutOfRangeException(nameof(GeneralCount), count, "must not be negative");
        var f = GeneralFraction!.Value;
        if (!(f is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(GeneralFraction), f, "must be within [0, 1)");
        return (long)Math.Round(taskCount * f / (1 - f), MidpointRounding.AwayFromZero);
    }
}
