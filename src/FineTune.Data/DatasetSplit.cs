namespace FineTune.Data;

/// <summary>
/// Deterministic train/validation split by content hash: an example goes to validation when its
/// <see cref="ContentHash.Unit"/> is below the fraction. Re-runs, reorderings and appended data
/// leave every example on its side; exact duplicates always land together, so none leaks across.
/// </summary>
public static class DatasetSplit
{
    public static bool IsValidation(ChatExample example, double validationFraction, string salt = "")
    {
        CheckFraction(validationFraction);
        return ContentHash.Unit(example, salt) < validationFraction;
    }

    /// <summary>Splits a normalized chat JSONL stream into two, returning (train, validation) counts.</summary>
    public static async Task<(long Train, long Validation)> SplitAsync(Stream chatJsonl, Stream train, Stream validation,
        double validationFraction, string salt = "", CancellationToken cancellationToken = default)
    {
        var writer = new SplitWriter(new ChatJsonlWriter(train), new ChatJsonlWriter(validation), validationFraction, salt);
        long line = 0;
        await foreach (var example in ChatJsonl.ReadAsync(chatJsonl, cancellationToken).ConfigureAwait(false))
        {
            writer.Write(example, ++line);
            if (line % 1024 == 0) await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        return (writer.Train, writer.Validation);
    }

    internal static void CheckFraction(double fraction)
    {
        if (!(fraction is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the validation fraction must be within [0, 1]");
    }
}
