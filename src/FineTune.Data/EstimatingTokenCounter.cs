namespace FineTune.Data;

/// <summary>
/// Estimates tokens without a tokenizer, the way OpenAI's cookbook does for chat: about 4 characters
/// per token for ASCII text, one token per character elsewhere (CJK, emoji, most accented text is
/// split finer by BPE vocabularies), plus 4 tokens of framing per message and 3 to prime the reply.
/// An estimate, labelled as such in reports; pass a real tokenizer's counter for exact numbers.
/// </summary>
public sealed class EstimatingTokenCounter : ITokenCounter
{
    public static readonly EstimatingTokenCounter Instance = new();

    public const int PerMessage = 4;
    public const int PerExample = 3;

    public int CountTokens(ChatExample example)
    {
        long total = PerExample;
        foreach (var m in example.Messages)
            total += PerMessage + EstimateText(m.Content);
        return (int)Math.Min(total, int.MaxValue);
    }

    public static long EstimateText(ReadOnlySpan<char> text)
    {
        var firstNonAscii = text.IndexOfAnyExceptInRange((char)0, (char)127);
        if (firstNonAscii < 0) return (text.Length + 3) / 4;
        long ascii = firstNonAscii, other = 0;
        foreach (var c in text[firstNonAscii..])
        {
            if (c < 128) ascii++;
            else if (!char.IsLowSurrogate(c)) other++;   // a surrogate pair counts once
        }
        return (ascii + 3) / 4 + other;
    }
}
