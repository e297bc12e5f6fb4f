using System.Text.RegularExpressions;

namespace FineTune.Training.Evaluation;

/// <summary>
/// GSM8K answer extraction and exact match as lm-evaluation-harness scores its <c>gsm8k</c> task (v3):
/// <list type="bullet">
/// <item><b>strict-match</b>: the first match of <c>#### (\-?[0-9\.\,]+)</c>, its group;</item>
/// <item><b>flexible-extract</b>: the last match of <c>(-?[$0-9.,]{2,})|(-?[0-9]+)</c>, its first non-empty group;</item>
/// </list>
/// each stripped, or <see cref="Invalid"/> without a match. Exact match then removes <c>,</c>, <c>$</c>,
/// everything up to the last <c>#### </c> and a trailing <c>.</c> (regexes_to_ignore, in that order) from
/// both sides, lower-cases them (ignore_case) and compares (ignore_punctuation is off).
/// </summary>
public static class Gsm8kScoring
{
    /// <summary>The harness's fallback when a filter finds nothing; it never equals a reference.</summary>
    public const string Invalid = "[invalid]";

    private static readonly Regex Strict = new(@"#### (\-?[0-9\.\,]+)", RegexOptions.CultureInvariant);
    private static readonly Regex Flexible = new(@"(-?[$0-9.,]{2,})|(-?[0-9]+)", RegexOptions.CultureInvariant);
    private static readonly Regex[] Ignored =
    [
        new(",", RegexOptions.CultureInvariant),
        new(@"\$", RegexOptions.CultureInvariant),
        new("(?s).*#### ", RegexOptions.CultureInvariant),
        new(@"\.$", RegexOptions.CultureInvariant),
    ];

    /// <summary>strict-match: the number after the first <c>#### </c>, or <see cref="Invalid"/>.</summary>
    public static string ExtractStrict(string text)
    {
        var m = Strict.Match(text);
        return m.Success ? m.Groups[1].Value.Trim() : Invalid;
    }

    /// <summary>flexible-extract: the last number-like run of the text, or <see cref="Invalid"/>.</summary>
    public static string ExtractFlexible(string text)
    {
        var matches = Flexible.Matches(text);
        if (matches.Count == 0) return Invalid;
        var last = matches[^1];
        return (last.Groups[1].Success ? last.Groups[1].Value : last.Groups[2].Value).Trim();
    }

    /// <summary>The exact-match normalization, applied to predictions and references alike.</summary>
    public static string Normalize(string text)
    {
        foreach (var r in Ignored) text = r.Replace(text, "");
        return text.ToLowerInvariant();
    }

    /// <summary>Exact match after <see cref="Normalize"/>; <see cref="Invalid"/> never matches.</summary>
    public static bool Matches(string extracted, string normalizedReference) =>
        extracted != Invalid && Normalize(extracted) == normalizedReference;

    /// <summary>
    /// The normalized reference of an answer text. A GSM8K answer (<c>… #### 72</c>) normalizes as the
    /// harness does to what follows the last <c>#### </c>. An answer without <c>####</c> (a chat reference)
    /// takes its flexible extraction (its last number), and a text with no number at all is compared whole:
    /// its normalized, trimmed text against the whole trimmed output (<see cref="ReferenceKind.Text"/>).
    /// </summary>
    public static (string Value, ReferenceKind Kind) Reference(string answer)
    {
        if (answer.Contains("#### ", StringComparison.Ordinal)) return (Normalize(answer).Trim(), ReferenceKind.Marked);
        var number = ExtractFlexible(answer);
        return number != Invalid ? (Normalize(number), ReferenceKind.Number) : (Normalize(answer.Trim()), ReferenceKind.Text);
    }

    /// <summary>Extracts both ways from <paramref name="output"/> and compares with the reference.</summary>
    public static ItemScore Score(string output, string normalizedReference, ReferenceKind kind)
    {
        if (kind == ReferenceKind.Text)
        {
            var whole = output.Trim();
            bool ok = Normalize(whole) == normalizedReference;
            return new ItemScore(whole, whole, ok, ok);
        }
        var strict = ExtractStrict(output);
        var flexible = ExtractFlexible(output);
        return new ItemScore(strict, flexible, Matches(strict, normalizedReference), Matches(flexible, normalizedReference));
    }
}
