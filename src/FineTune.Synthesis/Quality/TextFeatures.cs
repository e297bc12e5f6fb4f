using System.Text;

namespace FineTune.Synthesis;

/// <summary>
/// Cheap language-neutral features for comparing texts: CJK character bigrams plus lower-cased Latin words (letters
/// and digits, a plural "s" dropped). Punctuation and spacing do not count, so "火灾探测器装在哪？" and
/// "火灾探测器装在哪里" share most features, as do "Where do smoke detectors go?" and "where does a smoke detector go".
/// </summary>
public static class TextFeatures
{
    public static HashSet<string> Of(string text)
    {
        var features = new HashSet<string>(StringComparer.Ordinal);
        var word = new StringBuilder();
        char? previousCjk = null;
        foreach (var raw in text)
        {
            var c = char.ToLowerInvariant(raw);
            if (IsIdeograph(c))
            {
                FlushWord(word, features);
                if (previousCjk is { } p)
                    features.Add(string.Concat(p, c));
                previousCjk = c;
            }
            else if (char.IsLetterOrDigit(c))
            {
                word.Append(c);
                previousCjk = null;
            }
            else
            {
                FlushWord(word, features);
                // Punctuation breaks a CJK run; a space inside one ("火灾 探测器") does not.
                if (!char.IsWhiteSpace(c))
                    previousCjk = null;
            }
        }
        FlushWord(word, features);
        return features;
    }

    private static void FlushWord(StringBuilder word, HashSet<string> features)
    {
        if (word.Length == 0)
            return;
        var w = word.ToString();
        if (w.Length > 3 && w[^1] == 's' && w[^2] != 's')
            w = w[..^1];
        features.Add(w);
        word.Clear();
    }

    private static bool IsIdeograph(char c) =>
        c is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF' or >= '\u3040' and <= '\u30FF' or >= '\uAC00' and <= '\uD7AF';
}
