using System.Runtime.InteropServices;

namespace FineTune.Data;

/// <summary>
/// 64-bit hashes of an example's roles and contents: exact, and normalized (case folded, whitespace
/// runs collapsed, trimmed) for near duplicates. Reuses one buffer; not thread-safe.
/// </summary>
internal sealed class ExampleHasher
{
    private char[] _buffer = new char[4096];
    private int _length;

    public (ulong Exact, ulong Normalized) Hash(ChatExample example)
    {
        _length = 0;
        foreach (var m in example.Messages)
        {
            Append(m.Role);
            Append('\u0001');
            Append(m.Content);
            Append('\u0002');
        }
        var exact = XxHash64.Hash(MemoryMarshal.AsBytes(_buffer.AsSpan(0, _length)));

        _length = 0;
        foreach (var m in example.Messages)
        {
            Append(m.Role);
            Append('\u0001');
            AppendNormalized(m.Content);
            Append('\u0002');
        }
        return (exact, XxHash64.Hash(MemoryMarshal.AsBytes(_buffer.AsSpan(0, _length))));
    }

    private void Ensure(int extra)
    {
        if (_length + extra > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
    }

    private void Append(char c)
    {
        Ensure(1);
        _buffer[_length++] = c;
    }

    private void Append(string s)
    {
        Ensure(s.Length);
        s.CopyTo(_buffer.AsSpan(_length));
        _length += s.Length;
    }

    private void AppendNormalized(string s)
    {
        Ensure(s.Length);
        var pendingSpace = false;
        var wrote = false;
        foreach (var c in s)
        {
            if (char.IsWhiteSpace(c)) { pendingSpace = wrote; continue; }
            if (pendingSpace) { _buffer[_length++] = ' '; pendingSpace = false; }
            _buffer[_length++] = c < 128 ? (char)(c is >= 'A' and <= 'Z' ? c | 0x20 : c) : char.ToLowerInvariant(c);
            wrote = true;
        }
    }
}
