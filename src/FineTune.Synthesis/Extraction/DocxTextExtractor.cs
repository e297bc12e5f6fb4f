using System.IO.Compression;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace FineTune.Synthesis;

/// <summary>
/// DOCX from its own XML (word/document.xml inside the zip), no extra package. Paragraphs become lines; heading styles
/// (Heading1…9, Title, outline levels) become Markdown-style "# " lines so the chunker sees them; table rows become
/// "cell | cell" lines. Page numbers follow explicit page breaks and the breaks Word recorded when it last laid the
/// document out (w:lastRenderedPageBreak). Headers, footers and footnotes live in other parts and are left out.
/// </summary>
public static class DocxTextExtractor
{
    private static readonly XNamespace W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

    public static ExtractedDocument Extract(string path)
    {
        XDocument xml;
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var entry = zip.GetEntry("word/document.xml")
                ?? throw new ExtractionException($"'{path}' is not a Word document: it has no word/document.xml.");
            using var stream = entry.Open();
            xml = XDocument.Load(stream);
        }
        catch (InvalidDataException e)
        {
            throw new ExtractionException($"'{path}' is not a valid DOCX (zip) file: {e.Message}", e);
        }
        catch (XmlException e)
        {
            throw new ExtractionException($"'{path}': word/document.xml is not well-formed XML: {e.Message}", e);
        }

        var body = xml.Root?.Element(W + "body")
            ?? throw new ExtractionException($"'{path}': word/document.xml has no w:body.");
        var pages = new PageBuilder();
        foreach (var element in body.Elements())
        {
            if (element.Name == W + "p")
                AddParagraph(element, pages);
            else if (element.Name == W + "tbl")
                AddTable(element, pages);
        }
        return new ExtractedDocument(path, pages.Finish());
    }

    private static void AddParagraph(XElement paragraph, PageBuilder pages)
    {
        var line = new StringBuilder();
        foreach (var node in paragraph.Descendants())
        {
            if (node.Name == W + "t")
                line.Append(node.Value);
            else if (node.Name == W + "tab")
                line.Append('\t');
            else if (node.Name == W + "br" && (string?)node.Attribute(W + "type") == "page")
            {
                pages.AddLine(line.ToString());
                line.Clear();
                pages.BreakPage();
            }
            else if (node.Name == W + "br" || node.Name == W + "cr")
                line.Append('\n');
            else if (node.Name == W + "lastRenderedPageBreak")
            {
                pages.AddLine(line.ToString());
                line.Clear();
                pages.BreakPage();
            }
        }
        var level = HeadingLevel(paragraph);
        var text = line.ToString();
        pages.AddLine(level > 0 && text.Trim().Length > 0 ? new string('#', level) + " " + text.Trim() : text);
        pages.AddLine(""); // paragraphs are separated by a blank line, as in Markdown
    }

    private static void AddTable(XElement table, PageBuilder pages)
    {
        foreach (var row in table.Descendants(W + "tr"))
        {
            var cells = row.Elements(W + "tc")
                .Select(cell => string.Join(" ", cell.Descendants(W + "p")
                    .Select(p => string.Concat(p.Descendants(W + "t").Select(t => t.Value)).Trim())
                    .Where(s => s.Length > 0)));
            pages.AddLine(string.Join(" | ", cells));
        }
        pages.AddLine("");
    }

    /// <summary>1…9 for heading paragraphs, 0 otherwise.</summary>
    private static int HeadingLevel(XElement paragraph)
    {
        var properties = paragraph.Element(W + "pPr");
        var style = (string?)properties?.Element(W + "pStyle")?.Attribute(W + "val") ?? "";
        if (style.Equals("Title", StringComparison.OrdinalIgnoreCase))
            return 1;
        if (style.StartsWith("Heading", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(style.AsSpan("Heading".Length), out var level) && level is >= 1 and <= 9)
            return level;
        var outline = (string?)properties?.Element(W + "outlineLvl")?.Attribute(W + "val");
        return int.TryParse(outline, out var outlineLevel) && outlineLevel is >= 0 and <= 8 ? outlineLevel + 1 : 0;
    }

    /// <summary>Collects lines into pages; a break on a page with no text yet is ignored (Word often records both an
    /// explicit break and a rendered one for the same page turn).</summary>
    private sealed class PageBuilder
    {
        private readonly List<DocumentPage> _pages = [];
        private readonly StringBuilder _current = new();
        private bool _hasText;

        public void AddLine(string line)
        {
            if (line.Length == 0 && !_hasText)
                return;
            _current.Append(line).Append('\n');
            _hasText |= line.Trim().Length > 0;
        }

        public void BreakPage()
        {
            if (!_hasText)
                return;
            _pages.Add(new DocumentPage(_pages.Count + 1, _current.ToString()));
            _current.Clear();
            _hasText = false;
        }

        public IReadOnlyList<DocumentPage> Finish()
        {
            if (_hasText || _pages.Count == 0)
                _pages.Add(new DocumentPage(_pages.Count + 1, _current.ToString()));
            return _pages;
        }
    }
}
