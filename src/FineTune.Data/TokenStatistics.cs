namespace FineTune.Data;

/// <summary>Token counts over the kept examples; <see cref="P95"/> is exact (nearest rank).</summary>
public sealed record TokenStatistics(long Min, double Mean, long P95, long Max, long Total);
