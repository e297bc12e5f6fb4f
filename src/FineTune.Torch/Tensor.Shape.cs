namespace FineTune.Torch;

// Views and shape operations. Views share storage with their input.
public sealed unsafe partial class Tensor
{
    private Tensor WithDims(delegate*<nint, long*, int, nint> f, string op, long[] dims)
    {
        fixed (long* d = dims)
            return Wrap(f(Handle, d, dims.Length), $"{op}([{string.Join(", ", dims)}])", this);
    }

    public Tensor View(params long[] shape) => WithDims(&Native.ft_view, "View", shape);
    public Tensor Reshape(params long[] shape) => WithDims(&Native.ft_reshape, "Reshape", shape);
    public Tensor Expand(params long[] shape) => WithDims(&Native.ft_expand, "Expand", shape);
    public Tensor Permute(params long[] dims) => WithDims(&Native.ft_permute, "Permute", dims);
    public Tensor Transpose(long dim0, long dim1) => Wrap(Native.ft_transpose(Handle, dim0, dim1), $"Transpose({dim0}, {dim1})", this);
    /// <summary>The last two dimensions swapped.</summary>
    public Tensor T => Transpose(-2, -1);
    public Tensor Narrow(long dim, long start, long length) => Wrap(Native.ft_narrow(Handle, dim, start, length), $"Narrow({dim}, {start}, {length})", this);
    public Tensor Slice(long dim, long start, long end, long step = 1) => Wrap(Native.ft_slice(Handle, dim, start, end, step), $"Slice({dim}, {start}, {end}, {step})", this);
    /// <summary>Index <paramref name="index"/> along <paramref name="dim"/>, removing that dimension.</summary>
    public Tensor Select(long dim, long index) => Wrap(Native.ft_select(Handle, dim, index), $"Select({dim}, {index})", this);
    public Tensor Unsqueeze(long dim) => Wrap(Native.ft_unsqueeze(Handle, dim), $"Unsqueeze({dim})", this);
    public Tensor Squeeze(long dim) => Wrap(Native.ft_squeeze(Handle, dim), $"Squeeze({dim})", this);
    public Tensor Flatten(long start = 0, long end = -1) => Wrap(Native.ft_flatten(Handle, start, end), $"Flatten({start}, {end})", this);
    public Tensor Contiguous() => Wrap(Native.ft_contiguous(Handle), "Contiguous", this);
    public Tensor RepeatInterleave(long repeats, long dim) => Wrap(Native.ft_repeat_interleave(Handle, repeats, dim), $"RepeatInterleave({repeats}, {dim})", this);

    public Tensor[] Chunk(int chunks, long dim = 0)
    {
        var outs = stackalloc nint[chunks];
        int n = Native.ft_chunk(Handle, chunks, dim, outs);
        Check(n, $"Chunk({chunks}, {dim})", this);
        var result = new Tensor[n];
        for (int i = 0; i < n; i++) result[i] = new Tensor(outs[i]);
        return result;
    }

    /// <summary>Views of consecutive pieces of the given sizes along <paramref name="dim"/> (their backward is one concatenation).</summary>
    public Tensor[] Split(ReadOnlySpan<long> sizes, long dim = 0)
    {
        var outs = stackalloc nint[sizes.Length];
        int n;
        fixed (long* s = sizes) n = Native.ft_split_with_sizes(Handle, s, sizes.Length, dim, outs);
        Check(n, $"Split([{string.Join(", ", sizes.ToArray())}], {dim})", this);
        var result = new Tensor[n];
        for (int i = 0; i < n; i++) result[i] = new Tensor(outs[i]);
        return result;
    }

    private static Tensor Join(delegate*<nint*, int, long, nint> f, string op, IReadOnlyList<Tensor> tensors, long dim)
    {
        if (tensors.Count == 0) throw new ArgumentException($"{op} needs at least one tensor");
        var hs = stackalloc nint[tensors.Count];
        for (int i = 0; i < tensors.Count; i++) hs[i] = tensors[i].Handle;
        var h = f(hs, tensors.Count, dim);
        if (h == 0) throw TorchException.From($"{op}(dim {dim})", tensors.ToArray());
        GC.KeepAlive(tensors);
        return new Tensor(h);
    }

    public static Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(&Native.ft_cat, "Cat", tensors, dim);
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(&Native.ft_stack, "Stack", tensors, dim);

    public Tensor IndexSelect(long dim, Tensor index) => Wrap(Native.ft_index_select(Handle, dim, index.Handle), $"IndexSelect({dim})", this, index);
    public Tensor Gather(long dim, Tensor index) => Wrap(Native.ft_gather(Handle, dim, index.Handle), $"Gather({dim})", this, index);
    /// <summary>Out-of-place scatter: a copy with src's values written at index along dim.</summary>
    public Tensor Scatter(long dim, Tensor index, Tensor source) => Wrap(Native.ft_scatter(Handle, dim, index.Handle, source.Handle), $"Scatter({dim})", this, index, source);
    /// <summary>In-place scatter (this may be a view): src's values written at index along dim.</summary>
    public Tensor ScatterInPlace(long dim, Tensor index, Tensor source)
    {
        Check(Native.ft_scatter_(Handle, dim, index.Handle, source.Handle), $"ScatterInPlace({dim})", this, index, source);
        return this;
    }
    /// <summary>In place (this may be a view): slice i of src along dim goes to index[i] (int64) along dim.</summary>
    public Tensor IndexCopyInPlace(long dim, Tensor index, Tensor source)
    {
        Check(Native.ft_index_copy_(Handle, dim, index.Handle, source.Handle), $"IndexCopyInPlace({dim})", this, index, source);
        return this;
    }
    public Tensor MaskedSelect(Tensor mask) => Wrap(Native.ft_masked_select(Handle, mask.Handle), "MaskedSelect", this, mask);
}
