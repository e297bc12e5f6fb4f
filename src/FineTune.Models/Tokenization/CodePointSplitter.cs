using System.Globalization;

namespace FineTune.Models.Tokenization;

/// <summary>
/// A hand-written matcher for the pre-tokenizer regex family of Qwen2/Qwen2.5/Qwen3 and Llama 3 (tiktoken's
/// cl100k style), selected when tokenizer.json's Split pattern is exactly one of <see cref="QwenPattern"/> or
/// <see cref="Llama3Pattern"/>. It works on code points (so letters and digits outside the BMP count, as in the
/// reference Rust and JS implementations) and is several times faster than the equivalent .NET Regex.
/// Alternatives are tried in the pattern's order at each position, with the same backtracking outcomes:
/// <code>
/// (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}{1,K} | ' '?[^\s\p{L}\p{N}]+[\r\n]*
/// | \s*[\r\n]+ | \s+(?!\S) | \s+
/// </code>
/// </summary>
internal sealed class CodePointSplitter(int maxDigits) : IWordSplitter
{
    public const string QwenPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static CodePointSplitter? ForPattern(string pattern) => pattern switch
    {
        QwenPattern => new CodePointSplitter(1),
        Llama3Pattern => new CodePointSplitter(3),
        _ => null,
    };

    private enum Cls : byte { Letter, Number, Space, Other }

    private static readonly Cls[] Ascii = BuildAscii();

    private static Cls[] BuildAscii()
    {
        var t = new Cls[128];
        for (int c = 0; c < 128; c++)
            t[c] = c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' ? Cls.Letter
                : c is >= '0' and <= '9' ? Cls.Number
                : c is >= 9 and <= 13 or ' ' ? Cls.Space
                : Cls.Other;
        return t;
    }

    /// <summary>Unicode White_Space (what Rust's and Oniguruma's <c>\s</c> match).</summary>
    private static bool IsWhiteSpace(int cp) =>
        cp is >= 9 and <= 13 or 0x20 or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029
            or 0x202F or 0x205F or 0x3000;

    private static Cls Classify(int cp)
    {
        if (cp < 128) return Ascii[cp];
        if (IsWhiteSpace(cp)) return Cls.Space;
        return CharUnicodeInfo.GetUnicodeCategory(cp) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Cls.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Cls.Number,
            _ => Cls.Other,
        };
    }

    /// <summary>Class of the code point at <paramref name="i"/> and its width in chars (2 for a surrogate pair).</summary>
    private static Cls At(ReadOnlySpan<char> s, int i, out int width)
    {
        char c = s[i];
        if (c < 128) { width = 1; return Ascii[c]; }
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            return Classify(char.ConvertToUtf32(c, s[i + 1]));
        }
        width = 1;
        return char.IsSurrogate(c) ? Cls.Other : Classify(c);
    }

    private static int SkipClass(ReadOnlySpan<char> s, int i, Cls cls)
    {
        while (i < s.Length && At(s, i, out int w) == cls) i += w;
        return i;
    }

    private static char Lower(char c) => c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;

    public void Split(ReadOnlySpan<char> s, List<(int Start, int Length)> words)
    {
        int i = 0;
        while (i < s.Length)
        {
            int end = MatchAt(s, i);
            words.Add((i, end - i));
            i = end;
        }
    }

    private int MatchAt(ReadOnlySpan<char> s, int i)
    {
        int n = s.Length;
        char c = s[i];

        // 1. contractions: 's 't 're 've 'm 'll 'd (ASCII case-insensitive)
        if (c == '\'' && i + 1 < n)
        {
            char a = Lower(s[i + 1]);
            if (a is 's' or 't' or 'm' or 'd') return i + 2;
            if (i + 2 < n)
            {
                char b = Lower(s[i + 2]);
                if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
            }
        }

        var cls = At(s, i, out int width);

        // 2. [^\r\n\p{L}\p{N}]?\p{L}+
        if (cls == Cls.Letter)
            return SkipClass(s, i + width, Cls.Letter);
        if (cls != Cls.Number && c != '\r' && c != '\n' && i + width < n && At(s, i + width, out int w2) == Cls.Letter)
            return SkipClass(s, i + width + w2, Cls.Letter);

        // 3. \p{N}{1,K}
        if (cls == Cls.Number)
        {
            int j = i + width;
            for (int k = 1; k < maxDigits && j < n && At(s, j, out int wn) == Cls.Number; k++) j += wn;
            return j;
        }

        // 4. ' '?[^\s\p{L}\p{N}]+[\r\n]*
        int p = c == ' ' ? i + 1 : i;
        if (p < n && At(s, p, out int wp) == Cls.Other)
        {
            int j = p + wp;
            while (j < n && At(s, j, out int wo) == Cls.Other) j += wo;
            while (j < n && s[j] is '\r' or '\n') j++;
            return j;
        }

        // Only whitespace is left (cls == Space): the run [i, runEnd).
        int runEnd = i + 1;
        while (runEnd < n && At(s, runEnd, out _) == Cls.Space) runEnd++;

        // 5. \s*[\r\n]+ : up to and including the last line break of the run
        for (int j = runEnd - 1; j >= i; j--)
            if (s[j] is '\r' or '\n') return j + 1;

        // 6. \s+(?!\S) : the whole run at the end of text, else all but its last char
        if (runEnd == n) return runEnd;
        if (runEnd - i >= 2) return runEnd - 1;

        // 7. \s+
        return runEnd;
    }
}
