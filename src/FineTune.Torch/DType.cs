namespace FineTune.Torch;

/// <summary>Element types; the values are the native layer's dtype codes (native/ft.h).</summary>
public enum DType
{
    Float32 = 0,
    BFloat16 = 1,
    Float16 = 2,
    Int64 = 3,
    Bool = 4,
    Int32 = 5,
    UInt8 = 6,
    Float64 = 7,
}

public static class DTypeExtensions
{
    public static int ElementSize(this DType t) => t switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.BFloat16 or DType.Float16 => 2,
        DType.Int64 or DType.Float64 => 8,
        DType.Bool or DType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    public static bool IsFloatingPoint(this DType t) => t is DType.Float32 or DType.BFloat16 or DType.Float16 or DType.Float64;

    /// <summary>PyTorch's name: float32, bfloat16, …</summary>
    public static string Name(this DType t) => t switch
    {
        DType.Float32 => "float32",
        DType.BFloat16 => "bfloat16",
        DType.Float16 => "float16",
        DType.Int64 => "int64",
        DType.Bool => "bool",
        DType.Int32 => "int32",
        DType.UInt8 => "uint8",
        DType.Float64 => "float64",
        _ => t.ToString(),
    };

    /// <summary>Parses PyTorch / Hugging Face names (float32, bfloat16, fp16, half, …).</summary>
    public static DType Parse(string name) => name.ToLowerInvariant() switch
    {
        "float32" or "float" or "fp32" or "f32" => DType.Float32,
        "bfloat16" or "bf16" => DType.BFloat16,
        "float16" or "half" or "fp16" or "f16" => DType.Float16,
        "int64" or "long" or "i64" => DType.Int64,
        "int32" or "int" or "i32" => DType.Int32,
        "bool" => DType.Bool,
        "uint8" or "u8" => DType.UInt8,
        "float64" or "double" or "f64" => DType.Float64,
        _ => throw new ArgumentException($"unknown dtype '{name}' (expected float32, bfloat16, float16, int64, int32, bool, uint8, float64)", nameof(name)),
    };

    internal static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32 :
        typeof(T) == typeof(long) ? DType.Int64 :
        typeof(T) == typeof(int) ? DType.Int32 :
        typeof(T) == typeof(bool) ? DType.Bool :
        typeof(T) == typeof(byte) ? DType.UInt8 :
        typeof(T) == typeof(double) ? DType.Float64 :
        typeof(T) == typeof(Half) ? DType.Float16 :
        throw new NotSupportedException($"no tensor dtype for {typeof(T).Name}; use float, double, long, int, bool, byte or Half");
}
