using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FineTune.Data;

/// <summary>
/// 64-bit hashes (XXH64) of an example's roles and contents: exact, and normalized for near duplicates.
/// Normalized means: ASCII and Latin-1 letters lowercased, every Unicode whitespace character a space,
/// runs of spaces collapsed to one, trimmed. Per message, the hash is chained into the next one's
/// seed, so no copy of the example is made. Reuses one buffer; not thread-safe.
/// </summary>
internal sealed class ExampleHasher
{
    private char[] _buffer = new char[4096];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    public (ulong Exact, ulong Normalized) Hash(ChatExample example)
    {
        ulong exact = 0x9E3779B97F4A7C15UL, normalized = exact;
        foreach (var m in example.Messages)
        {
            var role = (ulong)RoleCode(m.Role);
            exact = XxHash64.HashToUInt64(MemoryMarshal.AsBytes(m.Content.AsSpan()), unchecked((long)(exact * 31 + role)));
            normalized = XxHash64.HashToUInt64(MemoryMarshal.AsBytes(Normalize(m.Content)), unchecked((long)(normalized * 31 + role)));
        }
        return (exact, normalized);
    }

    private static int RoleCode(string role) => role switch
    {
        ChatRoles.System => 1,
        ChatRoles.User => 2,
        ChatRoles.Assistant => 3,
        _ => role.GetHashCode(StringComparison.Ordinal) | 4,   // parsed examples only carry known roles
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    internal ReadOnlySpan<char> Normalize(string text)
    {
        if (_buffer.Length < text.Length) _buffer = new char[Math.Max(text.Length, 2 * _buffer.Length)];
        var span = _buffer.AsSpan(0, text.Length);
        Fold(MemoryMarshal.Cast<char, ushort>(text.AsSpan()), MemoryMarshal.Cast<char, ushort>(span));

        int read = 0, write = 0;                        // collapse runs of spaces in place
        while (read < span.Length)
        {
            var run = span[read..].IndexOf("  ");
            var take = run < 0 ? span.Length - read : run + 1;   // keep one space of the run
            span.Slice(read, take).CopyTo(span[write..]);
            write += take;
            read += take;
            while (read < span.Length && span[read] == ' ') read++;
        }
        return span[..write].Trim(' ');
    }

    /// <summary>Lowercases A–Z and À–Þ (not ×), and maps whitespace to ' ', vectorized.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    private static void Fold(ReadOnlySpan<ushort> source, Span<ushort> destination)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var width = Vector<ushort>.Count;
            var space = new Vector<ushort>(' ');
            var bit = new Vector<ushort>(0x20);
            for (; i + width <= source.Length; i += width)
            {
                var v = new Vector<ushort>(source[i..]);
                var upper = Vector.LessThanOrEqual(v - new Vector<ushort>('A'), new Vector<ushort>(25))
                    | (Vector.LessThanOrEqual(v - new Vector<ushort>(0xC0), new Vector<ushort>(0x1E)) & ~Vector.Equals(v, new Vector<ushort>(0xD7)));
                v |= upper & bit;
                var white = Vector.LessThanOrEqual(v - new Vector<ushort>(9), new Vector<ushort>(4))
                    | Vector.Equals(v, new Vector<ushort>(0x85)) | Vector.Equals(v, new Vector<ushort>(0xA0))
                    | Vector.Equals(v, new Vector<ushort>(0x1680)) | Vector.LessThanOrEqual(v - new Vector<ushort>(0x2000), new Vector<ushort>(10))
                    | Vector.Equals(v, new Vector<ushort>(0x2028)) | Vector.Equals(v, new Vector<ushort>(0x2029))
                    | Vector.Equals(v, new Vector<ushort>(0x202F)) | Vector.Equals(v, new Vector<ushort>(0x205F))
                    | Vector.Equals(v, new Vector<ushort>(0x3000));
                Vector.ConditionalSelect(white, space, v).CopyTo(destination[i..]);
            }
        }
        for (; i < source.Length; i++)
            destination[i] = FoldOne(source[i]);
    }

    internal static ushort FoldOne(ushort c) =>
        c is >= 'A' and <= 'Z' || (c is >= 0xC0 and <= 0xDE && c != 0xD7) ? (ushort)(c | 0x20)
        : c is >= 9 and <= 13 or 0x85 or 0xA0 or 0x1680 or >= 0x2000 and <= 0x200A or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 ? (ushort)' '
        : c;
}
