using System.Text;

namespace FineTune.Data;

/// <summary>Short, single-line excerpts of text or raw bytes for problem reports.</summary>
internal static class Excerpts
{
    public const int DefaultLength = 80;

    public static string Of(string text, int max = DefaultLength) => Of(text.AsSpan(), max);

    public static string Of(ReadOnlySpan<char> span, int max = DefaultLength)
    {
        var cut = span.Length > max ? span[..max] : span;
        var sb = new StringBuilder(cut.Length + 1);
        foreach (var c in cut)
            sb.Append(char.IsControl(c) ? ' ' : c);
        if (span.Length > max) sb.Append('…');
        return sb.ToString();
    }

    /// <summary>The first bytes as printable ASCII, others as '.', for files that are not text.</summary>
    public static string Ascii(ReadOnlySpan<byte> bytes, int max = 40)
    {
        var cut = bytes[..Math.Min(max, bytes.Length)];
        var chars = new char[cut.Length];
        for (var i = 0; i < cut.Length; i++)
            chars[i] = cut[i] is >= 0x20 and < 0x7F ? (char)cut[i] : '.';
        return new string(chars) + (bytes.Length > max ? "…" : "");
    }

    /// <summary>About <paramref name="max"/> bytes of <paramref name="bytes"/> around byte offset <paramref name="at"/>, decoded leniently.</summary>
    public static string OfBytes(ReadOnlySpan<byte> bytes, long at = 0, int max = DefaultLength)
    {
        var start = at <= max / 2 ? 0 : (int)Math.Min(at - max / 4, Math.Max(0, bytes.Length - max));
        var length = Math.Min(max, bytes.Length - start);
        var text = Encoding.UTF8.GetString(bytes.Slice(start, length));   // invalid bytes become U+FFFD
        return (start > 0 ? "…" : "") + Of(text, max) + (start + length < bytes.Length ? "…" : "");
    }
}
