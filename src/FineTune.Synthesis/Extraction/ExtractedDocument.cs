namespace FineTune.Synthesis;

/// <summary>The text of one source document, page by page (TXT/MD without form feeds are a single page).</summary>
public sealed record ExtractedDocument(string SourcePath, IReadOnlyList<DocumentPage> Pages)
{
    /// <summary>The file name shown with every generated pair (no folders, so reports do not leak local paths).</summary>
    public string SourceName => Path.GetFileName(SourcePath);

    public int TotalCharacters => Pages.Sum(p => p.Text.Length);
}
