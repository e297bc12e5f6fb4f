using System.Text.RegularExpressions;

namespace FineTune.Models.Tokenization;

/// <summary>
/// A <c>Split</c> pre-tokenizer with behavior <c>Isolated</c> over any regex: every match is a word, and so is
/// every stretch between matches. .NET regexes see UTF-16 units, so <c>\p{L}</c> misses letters outside the BMP;
/// the patterns the supported models use go through <see cref="CodePointSplitter"/> instead.
/// </summary>
internal sealed class RegexSplitter(Regex regex) : IWordSplitter
{
    public void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> words)
    {
        int previous = 0;
        foreach (var m in regex.EnumerateMatches(text))
        {
            if (m.Length == 0) continue;
            if (m.Index > previous) words.Add((previous, m.Index - previous));
            words.Add((m.Index, m.Length));
            previous = m.Index + m.Length;
        }
        if (previous < text.Length) words.Add((previous, text.Length - previous));
    }
}
