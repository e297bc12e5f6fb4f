namespace FineTune.Synthesis;

/// <summary>Chooses the extractor by file extension: PDF (pdftotext), DOCX (its XML), TXT and Markdown.</summary>
public static class DocumentExtractor
{
    public static readonly IReadOnlyList<string> SupportedExtensions = [".pdf", ".docx", ".txt", ".md", ".markdown"];

    public static async Task<ExtractedDocument> ExtractAsync(string path, string pdfToTextPath = "pdftotext", CancellationToken ct = default)
    {
        if (!File.Exists(path))
            throw new ExtractionException($"'{path}' does not exist.");
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".pdf" => await PdfTextExtractor.ExtractAsync(path, pdfToTextPath, ct),
            ".docx" => DocxTextExtractor.Extract(path),
            ".txt" or ".md" or ".markdown" => await PlainTextExtractor.ExtractAsync(path, ct),
            _ => throw new ExtractionException(
                $"'{path}': unsupported extension '{extension}'; supported: {string.Join(", ", SupportedExtensions)}."),
        };
    }
}
