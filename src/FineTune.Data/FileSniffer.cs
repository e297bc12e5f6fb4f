namespace FineTune.Data;

/// <summary>
/// Looks at the first bytes of a file: a UTF-8 BOM to skip, UTF-16/32 (unsupported), binary files
/// (known magic numbers, or many control bytes), and whether the content is a JSON array.
/// </summary>
internal static class FileSniffer
{
    public const int SniffBytes = 4096;

    private static readonly (byte[] Magic, string Kind)[] Magics =
    [
        ("%PDF-"u8.ToArray(), "a PDF document"),
        ([0x50, 0x4B, 0x03, 0x04], "a ZIP archive (or DOCX/XLSX)"),
        ([0x1F, 0x8B], "a gzip archive"),
        ([0x89, 0x50, 0x4E, 0x47], "a PNG image"),
        ([0xFF, 0xD8, 0xFF], "a JPEG image"),
        ("GIF8"u8.ToArray(), "a GIF image"),
        ([0x7F, 0x45, 0x4C, 0x46], "an ELF executable"),
        ("PAR1"u8.ToArray(), "a Parquet file"),
        ([0x28, 0xB5, 0x2F, 0xFD], "a zstd archive"),
        ("SQLite format 3"u8.ToArray(), "an SQLite database"),
    ];

    /// <summary>Length of a UTF-8 byte order mark at the start, or 0.</summary>
    public static int Utf8BomLength(ReadOnlySpan<byte> head) => head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;

    /// <summary>The name of an unsupported Unicode encoding the byte order mark shows, or null.</summary>
    public static string? UnsupportedEncoding(ReadOnlySpan<byte> head) =>
        head.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]) || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00]) ? "UTF-32"
        : head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) ? "UTF-16"
        : null;

    /// <summary>What kind of binary file <paramref name="head"/> starts, or null for text.</summary>
    public static string? BinaryKind(ReadOnlySpan<byte> head)
    {
        foreach (var (magic, kind) in Magics)
            if (head.StartsWith(magic)) return kind;
        var sample = head[..Math.Min(head.Length, SniffBytes)];
        int nul = 0, control = 0;
        foreach (var b in sample)
        {
            if (b == 0) nul++;
            else if (b < 0x20 && b is not (byte)'\t' and not (byte)'\n' and not (byte)'\r' and not 0x0C and not 0x1B) control++;
        }
        // A stray NUL or two is a bad line (nul_byte); a file full of them is not text.
        return nul > 8 || (sample.Length >= 64 && (nul + control) * 10 > sample.Length) ? "a binary file" : null;
    }

    /// <summary>True when the first non-whitespace byte is '[' (a JSON array, not JSONL).</summary>
    public static bool IsJsonArray(ReadOnlySpan<byte> head)
    {
        var first = head.IndexOfAnyExcept(" \t\r\n"u8);
        return first >= 0 && head[first] == (byte)'[';
    }
}
