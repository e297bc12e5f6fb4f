using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FineTune.Data;

/// <summary>
/// XXH64 (Yann Collet's xxHash, 64-bit), one shot. A small stand-in for System.IO.Hashing, which the
/// package mirror here lacks; used for duplicate detection and split assignment, never for security.
/// </summary>
internal static class XxHash64
{
    private const ulong P1 = 11400714785074694791UL, P2 = 14029467366897019727UL, P3 = 1609587929392839161UL,
        P4 = 9650029242287828579UL, P5 = 2870177450012600261UL;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        var length = (ulong)data.Length;
        ulong h;
        if (data.Length >= 32)
        {
            ulong v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
            ref var p = ref MemoryMarshal.GetReference(data);
            var stripes = data.Length / 32;
            for (var i = 0; i < stripes; i++)
            {
                v1 = Round(v1, Read64(ref p, 32 * i));
                v2 = Round(v2, Read64(ref p, 32 * i + 8));
                v3 = Round(v3, Read64(ref p, 32 * i + 16));
                v4 = Round(v4, Read64(ref p, 32 * i + 24));
            }
            data = data[(32 * stripes)..];
            h = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7) + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
            h = Merge(h, v1); h = Merge(h, v2); h = Merge(h, v3); h = Merge(h, v4);
        }
        else h = seed + P5;
        h += length;

        while (data.Length >= 8)
        {
            h ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(data));
            h = BitOperations.RotateLeft(h, 27) * P1 + P4;
            data = data[8..];
        }
        if (data.Length >= 4)
        {
            h ^= BinaryPrimitives.ReadUInt32LittleEndian(data) * P1;
            h = BitOperations.RotateLeft(h, 23) * P2 + P3;
            data = data[4..];
        }
        foreach (var b in data)
        {
            h ^= b * P5;
            h = BitOperations.RotateLeft(h, 11) * P1;
        }
        h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Read64(ref byte p, int offset)
    {
        var v = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, offset));
        return BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong acc, ulong input) => BitOperations.RotateLeft(acc + input * P2, 31) * P1;

    private static ulong Merge(ulong h, ulong v) => (h ^ Round(0, v)) * P1 + P4;
}
