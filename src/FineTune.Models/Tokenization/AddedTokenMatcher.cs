namespace FineTune.Models.Tokenization;

/// <summary>
/// Finds added tokens in raw text, leftmost first and longest at each position (as the reference trie does),
/// honouring <c>single_word</c> (no word char on either side) and then <c>lstrip</c>/<c>rstrip</c> (whitespace
/// beside the token is swallowed). Yields text and token segments in order.
/// </summary>
internal sealed class AddedTokenMatcher
{
    public readonly record struct Segment(int Start, int Length, AddedToken? Token);

    private readonly bool[] _isFirstChar = new bool[char.MaxValue + 1];
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        foreach (var c in _byFirstChar.Keys) _isFirstChar[c] = true;
    }

    public void Split(string text, List<Segment> segments)
    {
        segments.Clear();
        int textStart = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (!_isFirstChar[text[i]]) continue;
            var token = MatchAt(text, i);
            if (token is null) continue;
            if (i > textStart) segments.Add(new Segment(textStart, i - textStart, null));
            segments.Add(new Segment(i, token.Content.Length, token));
            textStart = i + token.Content.Length;
            i = textStart - 1;
        }
        if (textStart < text.Length) segments.Add(new Segment(textStart, text.Length - textStart, null));
        if (segments.Count > 1) ApplyStrip(text, segments);
    }

    private AddedToken? MatchAt(string text, int i)
    {
        foreach (var t in _byFirstChar[text[i]])
        {
            if (string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) != 0) continue;
            if (t.SingleWord && (IsWordChar(text, i - 1) || IsWordChar(text, i + t.Content.Length))) continue;
            return t;
        }
        return null;
    }

    private static bool IsWordChar(string text, int i) =>
        i >= 0 && i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_');

    private static void ApplyStrip(string text, List<Segment> segments)
    {
        for (int k = 0; k < segments.Count; k++)
        {
            var token = segments[k].Token;
            if (token is null) continue;
            if (token.LStrip && k > 0 && segments[k - 1].Token is null)
            {
                var s = segments[k - 1];
                int length = s.Length;
                while (length > 0 && char.IsWhiteSpace(text[s.Start + length - 1])) length--;
                segments[k - 1] = s with { Length = length };
            }
            if (token.RStrip && k + 1 < segments.Count && segments[k + 1].Token is null)
            {
                var s = segments[k + 1];
                int skip = 0;
                while (skip < s.Length && char.IsWhiteSpace(text[s.Start + skip])) skip++;
                segments[k + 1] = new Segment(s.Start + skip, s.Length - skip, null);
            }
        }
    }
}
