using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FineTune.Torch;

/// <summary>
/// A libtorch tensor. Every operation returns a new Tensor that the caller owns: dispose it, or open a
/// <see cref="DisposeScope"/> that collects it. Operations live in the partial files Tensor.*.cs.
/// </summary>
public sealed unsafe partial class Tensor : IDisposable
{
    private readonly TensorHandle _handle;
    private long[]? _shape;

    internal Tensor(nint handle)
    {
        _handle = new TensorHandle(handle);
        DisposeScope.Current?.Register(this);
    }

    internal DisposeScope? Scope { get; set; }

    /// <summary>Native tensors alive in this process (all threads): must not grow across training steps.</summary>
    public static long LiveCount => TensorHandle.Live;

    internal nint Handle
    {
        get
        {
            if (_handle.IsClosed) throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed (by its DisposeScope, or explicitly)");
            return _handle.DangerousGetHandle();
        }
    }

    public bool IsDisposed => _handle.IsClosed;

    public void Dispose()
    {
        Scope = null;
        _handle.Dispose();
    }

    // ---- wrapping native results ---------------------------------------------------------------
    internal static Tensor Wrap(nint h, string op, params ReadOnlySpan<Tensor?> inputs)
    {
        if (h == 0) throw TorchException.From(op, inputs);
        foreach (var t in inputs) GC.KeepAlive(t);
        return new Tensor(h);
    }

    /// <summary>Keeps <paramref name="owner"/> (a generator whose handle a call used) alive until here; returns this.</summary>
    internal Tensor KeepAlive(object? owner)
    {
        GC.KeepAlive(owner);
        return this;
    }

    internal static void Check(int status, string op, params ReadOnlySpan<Tensor?> inputs)
    {
        if (status < 0) throw TorchException.From(op, inputs);
        foreach (var t in inputs) GC.KeepAlive(t);
    }

    // ---- metadata ------------------------------------------------------------------------------
    /// <summary>The sizes, as a fresh array the caller may change.</summary>
    public long[] Shape => (long[])CachedShape.Clone();

    private long[] CachedShape
    {
        get
        {
            if (_shape is not null) return _shape;
            var buf = stackalloc long[32];
            int n = Native.ft_shape(Handle, buf, 32);
            Check(n, "Shape", this);
            var s = new long[n];
            for (int i = 0; i < n; i++) s[i] = buf[i];
            return _shape = s;
        }
    }

    public int Dim => CachedShape.Length;

    /// <summary>Size of one dimension; negative counts from the end.</summary>
    public long Size(int dim) => CachedShape[dim < 0 ? CachedShape.Length + dim : dim];

    public long NumEl => Native.ft_numel(Handle);

    public DType DType => (DType)Native.ft_dtype(Handle);

    public Device Device => new((DeviceType)Native.ft_device_type(Handle), Native.ft_device_index(Handle));

    public bool IsContiguous => Native.ft_is_contiguous(Handle) != 0;

    /// <summary>"float32[2, 3] cpu", for messages.</summary>
    public string Describe() => IsDisposed ? "disposed" : $"{DType.Name()}[{string.Join(", ", CachedShape)}] {Device}";

    public override string ToString() => $"Tensor {Describe()}";

    // ---- creation ------------------------------------------------------------------------------
    private delegate nint Factory(long* shape, int ndim, int dtype, int dev, int idx);

    private static Tensor Create(Factory f, string op, long[] shape, DType dtype, Device? device)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape)
            return Wrap(f(s, shape.Length, (int)dtype, (int)d.Type, d.Index), $"{op}([{string.Join(", ", shape)}], {dtype.Name()}, {d})");
    }

    public static Tensor Empty(long[] shape, DType dtype = DType.Float32, Device? device = null) => Create(Native.ft_empty, "Empty", shape, dtype, device);
    public static Tensor Zeros(long[] shape, DType dtype = DType.Float32, Device? device = null) => Create(Native.ft_zeros, "Zeros", shape, dtype, device);
    public static Tensor Ones(long[] shape, DType dtype = DType.Float32, Device? device = null) => Create(Native.ft_ones, "Ones", shape, dtype, device);

    /// <summary>Standard normal, from <paramref name="generator"/> (on <paramref name="device"/>) or libtorch's default generator.</summary>
    public static Tensor Randn(long[] shape, DType dtype = DType.Float32, Device? device = null, RandomGenerator? generator = null)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape)
            return Wrap(Native.ft_randn(s, shape.Length, (int)dtype, (int)d.Type, d.Index, generator?.Handle ?? 0), $"Randn([{string.Join(", ", shape)}], {dtype.Name()}, {d})").KeepAlive(generator);
    }

    /// <summary>Uniform on [0, 1), from <paramref name="generator"/> (on <paramref name="device"/>) or libtorch's default generator.</summary>
    public static Tensor Rand(long[] shape, DType dtype = DType.Float32, Device? device = null, RandomGenerator? generator = null)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape)
            return Wrap(Native.ft_rand(s, shape.Length, (int)dtype, (int)d.Type, d.Index, generator?.Handle ?? 0), $"Rand([{string.Join(", ", shape)}], {dtype.Name()}, {d})").KeepAlive(generator);
    }

    public static Tensor Full(long[] shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape)
            return Wrap(Native.ft_full(s, shape.Length, value, (int)dtype, (int)d.Type, d.Index), $"Full([{string.Join(", ", shape)}], {value})");
    }

    /// <summary>Integers uniform on [low, high), int64, from <paramref name="generator"/> or libtorch's default generator.</summary>
    public static Tensor RandInt(long low, long high, long[] shape, Device? device = null, RandomGenerator? generator = null)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape)
            return Wrap(Native.ft_randint(low, high, s, shape.Length, (int)d.Type, d.Index, generator?.Handle ?? 0), $"RandInt({low}, {high})").KeepAlive(generator);
    }

    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Int64, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return Wrap(Native.ft_arange(start, end, step, (int)dtype, (int)d.Type, d.Index), $"Arange({start}, {end}, {step})");
    }

    /// <summary>A new CPU tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor From<T>(ReadOnlySpan<T> data, params long[] shape) where T : unmanaged
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        if (n != data.Length) throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {n} elements, data has {data.Length}");
        fixed (T* p = data)
        fixed (long* s = shape)
            return Wrap(Native.ft_from_data(p, s, shape.Length, (int)DTypeExtensions.Of<T>()), "From");
    }

    public static Tensor From<T>(T[] data, params long[] shape) where T : unmanaged => From((ReadOnlySpan<T>)data, shape);

    /// <summary>A 1-d tensor from the array.</summary>
    public static Tensor From<T>(T[] data) where T : unmanaged => From((ReadOnlySpan<T>)data, data.Length);

    /// <summary>A 0-d tensor.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) => Full([], value, dtype, device);

    /// <summary>
    /// A CPU tensor over <paramref name="data"/> WITHOUT copying (e.g. a memory-mapped safetensors
    /// file). The memory must stay valid until <paramref name="release"/> runs, which happens when the
    /// last tensor sharing it is freed.
    /// </summary>
    public static Tensor FromBlob(nint data, long[] shape, DType dtype, Action? release = null)
    {
        var ctx = release is null ? 0 : GCHandle.ToIntPtr(GCHandle.Alloc(release));
        fixed (long* s = shape)
        {
            var h = Native.ft_from_blob((void*)data, s, shape.Length, (int)dtype, &ReleaseBlob, ctx);
            if (h == 0 && ctx != 0) GCHandle.FromIntPtr(ctx).Free();
            return Wrap(h, $"FromBlob([{string.Join(", ", shape)}], {dtype.Name()})");
        }
    }

    [UnmanagedCallersOnly]
    private static void ReleaseBlob(nint context)
    {
        if (context == 0) return;
        var handle = GCHandle.FromIntPtr(context);
        var release = (Action?)handle.Target;
        handle.Free();
        release?.Invoke();
    }

    // ---- copies out ----------------------------------------------------------------------------
    /// <summary>The elements in row-major order, converted to <typeparamref name="T"/>'s dtype if needed.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var want = DTypeExtensions.Of<T>();
        if (DType != want)
        {
            using var converted = To(want);
            return converted.ToArray<T>();
        }
        var result = new T[NumEl];
        fixed (T* p = result)
            Check(Native.ft_copy_to(Handle, p, (long)result.Length * Unsafe.SizeOf<T>()), "ToArray", this);
        return result;
    }

    /// <summary>Copies the raw bytes (row-major, this tensor's dtype) into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        fixed (byte* p = destination)
            Check(Native.ft_copy_to(Handle, p, destination.Length), "CopyTo", this);
    }

    /// <summary>The value of a one-element tensor.</summary>
    public double Item()
    {
        double v;
        Check(Native.ft_item(Handle, &v), "Item", this);
        return v;
    }

    // ---- conversion ----------------------------------------------------------------------------
    public Tensor To(DType dtype) => Wrap(Native.ft_to(Handle, (int)dtype, (int)Device.Type, Device.Index, 0), $"To({dtype.Name()})", this);
    public Tensor To(Device device) => Wrap(Native.ft_to(Handle, (int)DType, (int)device.Type, device.Index, 0), $"To({device})", this);
    public Tensor To(Device device, DType dtype) => Wrap(Native.ft_to(Handle, (int)dtype, (int)device.Type, device.Index, 0), $"To({device}, {dtype.Name()})", this);
    public Tensor Clone() => Wrap(Native.ft_clone(Handle), "Clone", this);
    /// <summary>A second handle to the same tensor (shares storage and autograd identity).</summary>
    public Tensor Alias() => Wrap(Native.ft_shallow(Handle), "Alias", this);

    // ---- in place ------------------------------------------------------------------------------
    public Tensor CopyFrom(Tensor source) { Check(Native.ft_copy_(Handle, source.Handle), "CopyFrom", this, source); return this; }
    public Tensor Fill(double value) { Check(Native.ft_fill_(Handle, value), "Fill", this); return this; }
    public Tensor Zero() { Check(Native.ft_zero_(Handle), "Zero", this); return this; }
    /// <summary>this += alpha * other, in place.</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1) { Check(Native.ft_add_(Handle, other.Handle, alpha), "AddInPlace", this, other); return this; }
    public Tensor MulInPlace(double factor) { Check(Native.ft_mul_scalar_(Handle, factor), "MulInPlace", this); return this; }
}
