using FineTune.Torch;

namespace FineTune.Models.Transformer;

/// <summary>
/// Keys and values of past positions, preallocated per layer as (B, KV heads, capacity, head_dim), so a
/// decode step writes one slot instead of re-concatenating the history.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    public KvCache(int layers, long batch, long kvHeads, long capacity, long headDim, DType dtype, Device device)
    {
        Capacity = capacity;
        _keys = new Tensor[layers];
        _values = new Tensor[layers];
        for (int i = 0; i < layers; i++)
        {
            _keys[i] = DisposeScope.Escape(Tensor.Zeros([batch, kvHeads, capacity, headDim], dtype, device));
            _values[i] = DisposeScope.Escape(Tensor.Zeros([batch, kvHeads, capacity, headDim], dtype, device));
        }
    }

    public long Capacity { get; }

    /// <summary>Positions already stored (the same for every layer once a forward pass completes).</summary>
    public long Length { get; private set; }

    /// <summary>Stores k, v (B, KV, T, D) of <paramref name="layer"/> after the cached positions and returns views of all positions so far.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var t = k.Size(2);
        if (Length + t > Capacity)
            throw new InvalidOperationException($"KV cache holds {Capacity} positions; {Length} used, {t} more asked");
        using (LibTorch.NoGrad())
        {
            using var kSlot = _keys[layer].Narrow(2, Length, t);
            using var vSlot = _values[layer].Narrow(2, Length, t);
            kSlot.CopyFrom(k);
            vSlot.CopyFrom(v);
        }
        return (_keys[layer].Narrow(2, 0, Length + t), _values[layer].Narrow(2, 0, Length + t));
    }

    /// <summary>Called once per forward pass, after every layer appended its <paramref name="added"/> positions.</summary>
    public void Advance(long added) => Length += added;

    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
