namespace FineTune.Synthesis;

/// <summary>TXT and Markdown: read as UTF-8 (a BOM is honoured); form feeds, when present, separate pages.</summary>
public static class PlainTextExtractor
{
    public static async Task<ExtractedDocument> ExtractAsync(string path, CancellationToken ct = default)
    {
        var text = await File.ReadAllTextAsync(path, ct);
        return new ExtractedDocument(path, SplitPages(text));
    }

    /// <summary>Splits on form feed (\f), the page separator pdftotext writes too; line endings become \n.</summary>
    public static IReadOnlyList<DocumentPage> SplitPages(string text)
    {
        var normalized = text.Replace("\r\n", "\n").Replace('\r', '\n');
        var parts = normalized.Split('\f');
        // A trailing form feed (pdftotext ends every page with one) does not start another page.
        var count = parts.Length > 1 && string.IsNullOrWhiteSpace(parts[^1]) ? parts.Length - 1 : parts.Length;
        var pages = new List<DocumentPage>(count);
        for (var i = 0; i < count; i++)
            pages.Add(new DocumentPage(i + 1, parts[i]));
        return pages;
    }
}
