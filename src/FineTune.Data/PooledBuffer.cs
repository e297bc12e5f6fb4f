using System.Buffers;

namespace FineTune.Data;

/// <summary>One pooled byte array that can grow; returned to the pool exactly once, on dispose.</summary>
internal sealed class PooledBuffer(int size) : IDisposable
{
    public byte[] Array { get; private set; } = ArrayPool<byte>.Shared.Rent(size);

    /// <summary>Replaces the array with one of at least <paramref name="size"/> bytes, keeping the first <paramref name="keep"/>.</summary>
    public byte[] Grow(int keep, int size)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        Array.AsSpan(0, keep).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(Array);
        return Array = bigger;
    }

    public void Dispose()
    {
        if (Array.Length == 0) return;
        ArrayPool<byte>.Shared.Return(Array);
        Array = [];
    }
}
