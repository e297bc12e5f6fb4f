namespace FineTune.Synthesis;

public enum BudgetUnit { Characters, Tokens }

/// <summary>How documents are cut: at most <see cref="MaxSize"/> per chunk (in <see cref="Unit"/>), the next chunk
/// repeating up to <see cref="Overlap"/> of the previous one's end so a question never loses its context.</summary>
public sealed record ChunkingOptions
{
    public int MaxSize { get; init; } = 3000;
    public int Overlap { get; init; } = 200;
    public BudgetUnit Unit { get; init; } = BudgetUnit.Characters;

    public ChunkingOptions Validated()
    {
        if (MaxSize < 50)
            throw new ArgumentOutOfRangeException(nameof(MaxSize), MaxSize, "chunk size must be at least 50");
        if (Overlap < 0 || Overlap * 2 > MaxSize)
            throw new ArgumentOutOfRangeException(nameof(Overlap), Overlap, $"overlap must be between 0 and half the chunk size ({MaxSize / 2})");
        return this;
    }

    public int Measure(string text) => TextMeasure.Measure(text, Unit);
}
