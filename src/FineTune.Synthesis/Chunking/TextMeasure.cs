namespace FineTune.Synthesis;

/// <summary>
/// Size of a text in characters or in estimated tokens. The estimate (one token per CJK character, one per four
/// other non-space characters, one per word gap) errs high for BPE tokenizers of Qwen/Llama/GPT, so a chunk within a
/// token budget by this measure is within it for the model too. It is additive up to rounding, always from above.
/// </summary>
public static class TextMeasure
{
    public static int Measure(string text, BudgetUnit unit) => unit switch
    {
        BudgetUnit.Characters => text.Length,
        BudgetUnit.Tokens => EstimateTokens(text),
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, null),
    };

    public static int EstimateTokens(string text)
    {
        int cjk = 0, other = 0, gaps = 0;
        foreach (var c in text)
        {
            if (TextShape.IsCjk(c))
                cjk++;
            else if (char.IsWhiteSpace(c))
                gaps++;
            else
                other++;
        }
        return cjk + (other + 3) / 4 + (gaps + 1) / 2;
    }
}
