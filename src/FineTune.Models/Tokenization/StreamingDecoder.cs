using System.Text;

namespace FineTune.Models.Tokenization;

/// <summary>
/// Decodes ids one at a time as a model generates them. A character whose UTF-8 bytes are split across tokens
/// (common for CJK and emoji in byte-level vocabularies) is held back until its last byte arrives, so no U+FFFD
/// ever appears mid-stream; the concatenated output equals <see cref="Tokenizer.Decode(IEnumerable{int}, bool)"/>.
/// Not thread-safe: one per generation.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _skipSpecial;
    private readonly List<byte> _pending = new(8);
    private int _stripRemaining;

    internal StreamingDecoder(Tokenizer tokenizer, bool skipSpecial, int stripLeadingSpaces)
    {
        _tokenizer = tokenizer;
        _skipSpecial = skipSpecial;
        _stripRemaining = stripLeadingSpaces;
    }

    /// <summary>Returns the text completed by this token (possibly empty).</summary>
    public string Append(int id)
    {
        if (_skipSpecial && _tokenizer.IsSpecial(id)) return "";
        var bytes = _tokenizer.TokenBytes(id);
        while (_stripRemaining > 0 && bytes.Length > 0)
        {
            if (bytes[0] != (byte)' ') { _stripRemaining = 0; break; }
            bytes = bytes[1..];
            _stripRemaining--;
        }
        foreach (var b in bytes) _pending.Add(b);
        int complete = CompletePrefixLength(_pending);
        if (complete == 0) return "";
        var text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending)[..complete]);
        _pending.RemoveRange(0, complete);
        return text;
    }

    /// <summary>Emits whatever is held back (an unfinished sequence becomes U+FFFD).</summary>
    public string Flush()
    {
        var text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        _pending.Clear();
        return text;
    }

    /// <summary>Length of the prefix that does not end inside a well-started but unfinished UTF-8 sequence.</summary>
    internal static int CompletePrefixLength(List<byte> bytes)
    {
        int n = bytes.Count;
        for (int back = 1; back <= Math.Min(3, n); back++)
        {
            byte b = bytes[n - back];
            if ((b & 0xC0) == 0x80) continue; // continuation byte: keep looking for its lead
            int needed = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 1;
            return needed > back ? n - back : n;
        }
        return n;
    }
}
