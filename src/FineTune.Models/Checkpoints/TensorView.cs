namespace FineTune.Models.Checkpoints;

/// <summary>
/// One tensor inside a memory-mapped safetensors file: no copy, valid while the owning
/// <see cref="SafetensorsFile"/> is open. <see cref="Pointer"/> is what the engine hands to the native side to
/// build a tensor from raw memory (row-major, little-endian, <see cref="ByteLength"/> bytes).
/// </summary>
public readonly record struct TensorView(string Name, SafetensorsDType DType, long[] Shape, nint Pointer, long ByteLength)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The raw bytes (tensors over 2 GiB must go through <see cref="Pointer"/>).</summary>
    public unsafe ReadOnlySpan<byte> Bytes => ByteLength <= int.MaxValue
        ? new ReadOnlySpan<byte>((void*)Pointer, (int)ByteLength)
        : throw new InvalidOperationException($"tensor {Name} has {ByteLength} bytes, more than a span can hold; use Pointer");

    public override string ToString() => $"{Name} {DType}[{string.Join(", ", Shape)}]";
}
