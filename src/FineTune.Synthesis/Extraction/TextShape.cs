using System.Text.RegularExpressions;

namespace FineTune.Synthesis;

/// <summary>Character and line classification shared by clean-up and chunking (CJK-aware).</summary>
public static partial class TextShape
{
    public static bool IsCjk(char c) =>
        c is >= '\u4E00' and <= '\u9FFF' // CJK unified ideographs
            or >= '\u3400' and <= '\u4DBF' // extension A
            or >= '\u3000' and <= '\u303F' // CJK punctuation
            or >= '\uFF00' and <= '\uFFEF' // full-width forms
            or >= '\u3040' and <= '\u30FF' // kana
            or >= '\uAC00' and <= '\uD7AF'; // hangul

    /// <summary>Terminal punctuation after which a sentence (and possibly a paragraph) may end.</summary>
    public static bool IsSentenceEnd(char c) => c is '。' or '！' or '？' or '；' or '.' or '!' or '?' or ';' or '…';

    /// <summary>Columns a line takes on screen: CJK characters are two wide. Used to judge hard-wrapped lines.</summary>
    public static int DisplayWidth(string line)
    {
        var width = 0;
        foreach (var c in line)
            width += IsCjk(c) ? 2 : 1;
        return width;
    }

    /// <summary>A heading: Markdown "#", 第…章/节/条, "一、", "Chapter 3", "附录A", or a short numbered title ("3.2 Scope",
    /// "4.2 ASN.1 functions") without clause punctuation.</summary>
    public static bool IsHeading(string line)
    {
        var t = line.Trim();
        if (MarkdownHeading().IsMatch(t))
            return true;
        if (t.Length == 0 || t.Length > 60)
            return false;
        if (ChineseChapter().IsMatch(t) || ChineseEnumeration().IsMatch(t) || NamedSection().IsMatch(t))
            return true;
        // "3.2 Scope", "4.1 一般规定": a number and a short title without clause punctuation (a wrapped clause has some).
        var title = NumberedTitle().Match(t);
        var rest = t[title.Length..];
        return title.Success && rest.Length <= 24 && rest.IndexOfAny(ClausePunctuation) < 0 && !rest.Contains(". ") && !rest.EndsWith('.');
    }

    /// <summary>A line that starts a new block: heading, list item, numbered clause, table row or code fence.</summary>
    public static bool StartsBlock(string line)
    {
        var t = line.TrimStart();
        return IsHeading(t) || ListItem().IsMatch(t) || NumberedClause().IsMatch(t) || t.StartsWith('|') || t.StartsWith("```", StringComparison.Ordinal);
    }

    /// <summary>A line holding only a page number: "12", "- 12 -", "第 3 页 共 9 页", "Page 3 of 9", "3/9", "iv".</summary>
    public static bool IsPageNumber(string line) => PageNumber().IsMatch(line.Trim());

    [GeneratedRegex(@"^#{1,6}\s+\S")]
    private static partial Regex MarkdownHeading();

    [GeneratedRegex(@"^第\s*[一二三四五六七八九十百零〇\d]+\s*[章节篇部]")]
    private static partial Regex ChineseChapter();

    [GeneratedRegex(@"^[一二三四五六七八九十]+\s*[、．.]\s*\S")]
    private static partial Regex ChineseEnumeration();

    [GeneratedRegex(@"^(chapter|section|part|appendix|annex)\s+[\dA-Z]+\b|^附\s*录\s*[A-Z\d]", RegexOptions.IgnoreCase)]
    private static partial Regex NamedSection();

    private static readonly char[] ClausePunctuation = ['，', ',', '、', '。', '；', ';', '：', ':', '!', '?', '！', '？', '（', '('];

    [GeneratedRegex(@"^\d+(\.\d+)*\.?\s+")]
    private static partial Regex NumberedTitle();

    [GeneratedRegex(@"^(\d+(\.\d+)+|第\s*[一二三四五六七八九十百零〇\d]+\s*条|[（(]\s*[\d一二三四五六七八九十a-z]+\s*[)）])\s*\S")]
    private static partial Regex NumberedClause();

    [GeneratedRegex(@"^([-*+•·]|\d+[.)、]|[a-z][.)])\s+\S")]
    private static partial Regex ListItem();

    [GeneratedRegex(@"^([-–—]\s*)?\d{1,4}(\s*[-–—])?$|^第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?$|^(page|p\.)\s*\d+(\s*(of|/)\s*\d+)?$|^\d+\s*/\s*\d+$|^[ivxlc]{1,6}$", RegexOptions.IgnoreCase)]
    private static partial Regex PageNumber();
}
