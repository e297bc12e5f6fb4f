using System.Text;
using System.Text.RegularExpressions;

namespace FineTune.Synthesis;

/// <summary>
/// Removes extraction noise, page by page: running headers and footers (the same line at the top or bottom of most
/// pages, digits ignored), page-number lines, hyphenation at line ends ("gener-\nated"), and hard wraps (a line that
/// fills the page width followed by one that does not start a new block is joined to it; CJK joins without a space).
/// Code fences are left alone.
/// </summary>
public static partial class TextCleaner
{
    /// <summary>Lines examined at each end of a page when looking for running headers and footers.</summary>
    private const int EdgeLines = 2;

    public static ExtractedDocument Clean(ExtractedDocument document)
    {
        var pages = document.Pages.Select(p => SplitLines(p.Text)).ToList();
        RemoveRunningHeadersAndFooters(pages);
        var cleaned = document.Pages
            .Select((page, i) => new DocumentPage(page.Number, Unwrap(pages[i])))
            .ToList();
        return document with { Pages = cleaned };
    }

    private static List<string> SplitLines(string text) =>
        text.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd()).ToList();

    /// <summary>A line seen at a page edge on at least half the pages (and at least 3) is a running header or footer.
    /// Page-number lines at the edges go too.</summary>
    private static void RemoveRunningHeadersAndFooters(List<List<string>> pages)
    {
        var seenOnPages = new Dictionary<string, int>();
        foreach (var lines in pages)
            foreach (var key in EdgeIndices(lines).Select(i => EdgeKey(lines[i])).Distinct())
                seenOnPages[key] = seenOnPages.GetValueOrDefault(key) + 1;
        var threshold = Math.Max(3, (pages.Count + 1) / 2);
        var running = seenOnPages.Where(kv => kv.Value >= threshold).Select(kv => kv.Key).ToHashSet();

        foreach (var lines in pages)
            foreach (var i in EdgeIndices(lines).OrderDescending())
                if (running.Contains(EdgeKey(lines[i])) || TextShape.IsPageNumber(lines[i]))
                    lines.RemoveAt(i);
    }

    /// <summary>Indices of the first and last <see cref="EdgeLines"/> non-blank lines.</summary>
    private static IEnumerable<int> EdgeIndices(List<string> lines)
    {
        var nonBlank = Enumerable.Range(0, lines.Count).Where(i => lines[i].Trim().Length > 0).ToList();
        return nonBlank.Take(EdgeLines).Concat(nonBlank.TakeLast(EdgeLines)).Distinct();
    }

    private static string EdgeKey(string line) => Digits().Replace(Spaces().Replace(line.Trim(), " "), "#");

    private static string Unwrap(List<string> lines)
    {
        var widths = lines.Where(l => l.Trim().Length > 0).Select(TextShape.DisplayWidth).Order().ToList();
        var fullWidth = widths.Count == 0 ? 0 : widths[(int)Math.Floor((widths.Count - 1) * 0.9)];

        var output = new List<StringBuilder>();
        var inFence = false;
        var previousBlank = true;
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
                inFence = !inFence;
            if (line.Trim().Length == 0)
            {
                if (!previousBlank)
                    output.Add(new StringBuilder());
                previousBlank = true;
                continue;
            }
            var last = output.Count > 0 ? output[^1] : null;
            if (!inFence && !previousBlank && last is not null && TryJoin(last, line.Trim(), fullWidth))
                continue;
            output.Add(new StringBuilder(inFence ? line : line.Trim()));
            previousBlank = false;
        }
        return string.Join("\n", output.Select(b => b.ToString())).Trim('\n') + "\n";
    }

    /// <summary>Appends <paramref name="next"/> to the line being built when it continues it.</summary>
    private static bool TryJoin(StringBuilder previous, string next, int fullWidth)
    {
        var prev = previous.ToString();
        // "gener-" + "ated": a hyphen between two lower-case letters at a line end is a word broken by the layout.
        if (prev.Length >= 2 && prev[^1] == '-' && char.IsLower(prev[^2]) && char.IsLower(next[0]))
        {
            previous.Length--;
            previous.Append(next);
            return true;
        }
        if (prev.StartsWith("```", StringComparison.Ordinal) || prev.Contains(" | ") || prev.StartsWith('|') || TextShape.IsHeading(prev))
            return false;
        if (TextShape.StartsBlock(next) || TextShape.IsSentenceEnd(prev[^1]) || prev[^1] is '：' or ':')
            return false;
        if (TextShape.DisplayWidth(prev) < fullWidth * 0.75)
            return false; // a short line ends its paragraph
        var glue = TextShape.IsCjk(prev[^1]) || TextShape.IsCjk(next[0]) ? "" : " ";
        previous.Append(glue).Append(next);
        return true;
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
