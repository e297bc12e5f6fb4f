namespace FineTune.Models.Checkpoints;

/// <summary>A tensor to write: its bytes (row-major, little-endian) must be exactly dtype size × shape.</summary>
public sealed record SafetensorsTensor(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    public long ByteLength => Data.Length;

    public static SafetensorsTensor FromFloats(string name, long[] shape, ReadOnlySpan<float> values) =>
        new(name, SafetensorsDType.F32, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray());
}
