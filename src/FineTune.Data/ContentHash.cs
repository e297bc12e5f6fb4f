using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FineTune.Data;

/// <summary>
/// Stable content hashes of examples: SHA-256 of a salt and the example's normalized JSON line
/// (<see cref="ChatJsonl.ToJsonLine"/>), the same on every machine, process and .NET version.
/// </summary>
public static class ContentHash
{
    /// <summary>The first 8 bytes of SHA-256(salt ‖ 0x00 ‖ json line), big-endian.</summary>
    public static ulong Of(ChatExample example, string salt = "")
    {
        var json = ChatJsonl.ToJsonLine(example);
        var bytes = new byte[Encoding.UTF8.GetByteCount(salt) + 1 + Encoding.UTF8.GetByteCount(json)];
        var n = Encoding.UTF8.GetBytes(salt, bytes);
        bytes[n] = 0;
        Encoding.UTF8.GetBytes(json, bytes.AsSpan(n + 1));
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(bytes, digest);
        return BinaryPrimitives.ReadUInt64BigEndian(digest);
    }

    /// <summary>The hash as a fraction in [0, 1).</summary>
    public static double Unit(ChatExample example, string salt = "") => (Of(example, salt) >> 11) * (1.0 / (1UL << 53));
}
