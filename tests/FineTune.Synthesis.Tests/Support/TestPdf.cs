using System.Globalization;
using System.Text;

namespace FineTune.Synthesis.Tests.Support;

/// <summary>
/// Writes a real, minimal PDF 1.7 whose text is Chinese and English: one Type0 font (Identity-H, two-byte codes equal to
/// Unicode code points) with a ToUnicode CMap, one content stream per page. No font program is embedded (none with CJK
/// glyphs is installed here), so viewers substitute a font; text extraction — what pdftotext does — relies on
/// ToUnicode exactly as it does for real Chinese PDFs made by Word or LaTeX.
/// </summary>
public static class TestPdf
{
    public static void Write(string path, IReadOnlyList<IReadOnlyList<string>> pages)
    {
        var objects = new SortedDictionary<int, byte[]>();
        var pageIds = Enumerable.Range(0, pages.Count).Select(i => 7 + 2 * i).ToList();
        objects[1] = Ascii("<< /Type /Catalog /Pages 2 0 R >>");
        objects[2] = Ascii($"<< /Type /Pages /Kids [{string.Join(" ", pageIds.Select(id => $"{id} 0 R"))}] /Count {pages.Count} >>");
        objects[3] = Ascii("<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H /DescendantFonts [4 0 R] /ToUnicode 6 0 R >>");
        objects[4] = Ascii("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> " +
                           "/FontDescriptor 5 0 R /DW 1000 /W [32 126 500] /CIDToGIDMap /Identity >>");
        objects[5] = Ascii("<< /Type /FontDescriptor /FontName /SimSun /Flags 4 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>");
        objects[6] = Stream("""
            /CIDInit /ProcSet findresource begin
            12 dict begin
            begincmap
            /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
            /CMapName /Adobe-Identity-UCS def
            /CMapType 2 def
            1 begincodespacerange
            <0000> <FFFF>
            endcodespacerange
            1 beginbfrange
            <0000> <FFFF> <0000>
            endbfrange
            endcmap
            CMapName currentdict /CMap defineresource pop
            end
            end
            """);
        for (var i = 0; i < pages.Count; i++)
        {
            var content = new StringBuilder("BT /F1 11 Tf 15 TL 56 790 Td\n");
            foreach (var line in pages[i])
                content.Append('<').Append(string.Concat(line.Select(c => ((int)c).ToString("X4", CultureInfo.InvariantCulture)))).Append("> Tj T*\n");
            content.Append("ET");
            objects[pageIds[i]] = Ascii($"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {pageIds[i] + 1} 0 R >>");
            objects[pageIds[i] + 1] = Stream(content.ToString());
        }

        using var file = new MemoryStream();
        file.Write(Ascii("%PDF-1.7\n%\u00e2\u00e3\n"));
        var offsets = new Dictionary<int, long>();
        foreach (var (id, body) in objects)
        {
            offsets[id] = file.Position;
            file.Write(Ascii($"{id} 0 obj\n"));
            file.Write(body);
            file.Write(Ascii("\nendobj\n"));
        }
        var xref = file.Position;
        var size = objects.Keys.Max() + 1;
        var table = new StringBuilder($"xref\n0 {size}\n0000000000 65535 f \n");
        for (var id = 1; id < size; id++)
            table.Append(CultureInfo.InvariantCulture, $"{offsets[id]:D10} 00000 n \n");
        table.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        file.Write(Ascii(table.ToString()));
        File.WriteAllBytes(path, file.ToArray());
    }

    private static byte[] Ascii(string s) => Encoding.Latin1.GetBytes(s);

    private static byte[] Stream(string data)
    {
        var bytes = Ascii(data);
        return [.. Ascii($"<< /Length {bytes.Length} >>\nstream\n"), .. bytes, .. Ascii("\nendstream")];
    }
}
