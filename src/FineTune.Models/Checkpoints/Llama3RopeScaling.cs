namespace FineTune.Models.Checkpoints;

/// <summary>
/// config.json <c>rope_scaling</c> with <c>rope_type: "llama3"</c> (Llama 3.1/3.2): low frequencies are divided by
/// <see cref="Factor"/>, high frequencies kept, the band between interpolated smoothly.
/// </summary>
public sealed record Llama3RopeScaling(
    double Factor,
    double LowFreqFactor,
    double HighFreqFactor,
    int OriginalMaxPositionEmbeddings)
{
    public const string RopeType = "llama3";

    internal void Validate()
    {
        if (!(Factor >= 1))
            throw new CheckpointFormatException($"config.json: rope_scaling.factor must be >= 1, got {Factor}");
        if (!(LowFreqFactor > 0) || !(HighFreqFactor > LowFreqFactor))
            throw new CheckpointFormatException(
                $"config.json: rope_scaling needs 0 < low_freq_factor < high_freq_factor, got {LowFreqFactor} and {HighFreqFactor}");
        if (OriginalMaxPositionEmbeddings <= 0)
            throw new CheckpointFormatException(
                $"config.json: rope_scaling.original_max_position_embeddings must be > 0, got {OriginalMaxPositionEmbeddings}");
    }
}
