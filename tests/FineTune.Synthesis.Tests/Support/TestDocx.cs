using System.IO.Compression;
using System.Security;
using System.Text;

namespace FineTune.Synthesis.Tests.Support;

/// <summary>Writes a minimal but valid .docx (content types, relationships, word/document.xml) from simple parts.</summary>
public static class TestDocx
{
    public abstract record Part;
    public sealed record Heading(int Level, string Text) : Part;
    public sealed record Paragraph(string Text) : Part;
    public sealed record PageBreak : Part;
    public sealed record Table(string[][] Rows) : Part;

    public static void Write(string path, params Part[] parts)
    {
        var body = new StringBuilder();
        foreach (var part in parts)
            body.Append(part switch
            {
                Heading h => $"""<w:p><w:pPr><w:pStyle w:val="Heading{h.Level}"/></w:pPr><w:r><w:t>{Esc(h.Text)}</w:t></w:r></w:p>""",
                Paragraph p => $"""<w:p><w:r><w:t xml:space="preserve">{Esc(p.Text)}</w:t></w:r></w:p>""",
                PageBreak => """<w:p><w:r><w:br w:type="page"/></w:r></w:p>""",
                Table t => "<w:tbl>" + string.Concat(t.Rows.Select(row => "<w:tr>" + string.Concat(row.Select(cell =>
                    $"<w:tc><w:p><w:r><w:t>{Esc(cell)}</w:t></w:r></w:p></w:tc>")) + "</w:tr>")) + "</w:tbl>",
                _ => throw new ArgumentOutOfRangeException(nameof(parts)),
            });

        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        Add(zip, "[Content_Types].xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>""");
        Add(zip, "_rels/.rels", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>""");
        Add(zip, "word/document.xml", $"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>""");
    }

    private static string Esc(string s) => SecurityElement.Escape(s);

    private static void Add(ZipArchive zip, string name, string content)
    {
        using var writer = new StreamWriter(zip.CreateEntry(name).Open(), new UTF8Encoding(false));
        writer.Write(content);
    }
}
