using FineTune.Torch;

namespace FineTune.Models.Transformer;

/// <summary>
/// Keys and values of past positions, preallocated per layer as (B, KV heads, capacity, head_dim), so a
/// decode step writes one slot instead of re-concatenating the history.
/// In slot mode (<see cref="SetSlots"/>, for continuous batching) each batch row is one sequence's slot with its
/// own length: a forward pass writes each row's new positions where that sequence ends and attends over a view of
/// its slots, so sequences join and leave without copying the others.
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

    public long Capacity { get; private set; }

    /// <summary>Sequences (rows) the cache holds.</summary>
    public long Slots => _keys[0].Size(0);

    private long _firstSlot;
    private long[]? _writeAt;
    private long _span;
    private Tensor? _writeIndex;   // (rows, kv heads, 1, head_dim) int64: writeAt per row, for one-token steps

    /// <summary>
    /// Slot mode for the next forward passes: batch row i is slot <paramref name="firstSlot"/> + i, writes its new
    /// positions at <c>writeAt[i]</c> (an idle row writes where nothing live is: a free slot at 0, a sequence that
    /// waits at its next position), and attention sees positions 0..<paramref name="span"/> - 1 of each slot (mask the
    /// rest). A one-token step writes all rows with one scatter per layer. <see cref="Length"/> is then not used.
    /// </summary>
    public void SetSlots(long firstSlot, long[] writeAt, long span)
    {
        if (firstSlot < 0 || firstSlot + writeAt.Length > Slots) throw new ArgumentOutOfRangeException(nameof(firstSlot), firstSlot, $"the cache has {Slots} slots");
        if (span > Capacity) throw new InvalidOperationException($"KV cache holds {Capacity} positions; {span} asked");
        foreach (var w in writeAt)
            if (w < 0 || w >= Capacity) throw new ArgumentOutOfRangeException(nameof(writeAt), w, $"positions are 0..{Capacity - 1}");
        ClearModes();
        (_firstSlot, _writeAt, _span) = (firstSlot, writeAt, span);
        if (writeAt.Length > 1)
        {
            using var scope = DisposeScope.Begin();
            long kvHeads = _keys[0].Size(1), headDim = _keys[0].Size(3);
            _writeIndex = DisposeScope.Escape(Tensor.From(writeAt, writeAt.Length, 1, 1, 1).To(_keys[0].Device)
                .Expand(writeAt.Length, kvHeads, 1, headDim).Contiguous());
        }
    }

    private Tensor? _prefillSlots;   // (rows) int64: the slots of a prefill over slots anywhere in the cache

    /// <summary>
    /// Prefill mode for the next forward pass: batch row i is slot <paramref name="slots"/>[i] (any slots, in any order,
    /// each once), and every row writes positions 0..<paramref name="length"/> - 1 and attends over those alone, as a
    /// sequence starting in that slot does. One index copy per layer and tensor writes all rows; attention reads the new
    /// keys and values as computed, not back from the cache.
    /// </summary>
    public void SetPrefillSlots(long[] slots, long length)
    {
        if (slots.Length == 0) throw new ArgumentException("no slots", nameof(slots));
        if (length < 1 || length > Capacity) throw new InvalidOperationException($"KV cache holds {Capacity} positions; {length} asked");
        foreach (var s in slots)
            if (s < 0 || s >= Slots) throw new ArgumentOutOfRangeException(nameof(slots), s, $"the cache has {Slots} slots");
        if (slots.Distinct().Count() != slots.Length) throw new ArgumentException("a slot is listed twice", nameof(slots));
        ClearModes();
        using var scope = DisposeScope.Begin();
        _prefillSlots = DisposeScope.Escape(Tensor.From(slots, slots.Length).To(_keys[0].Device));
        _span = length;
    }

    private void ClearModes()
    {
        _writeAt = null;
        _writeIndex?.Dispose();
        _writeIndex = null;
        _prefillSlots?.Dispose();
        _prefillSlots = null;
    }

    /// <summary>Makes every slot hold <paramref name="capacity"/> positions, keeping what is stored (one copy, when a sequence outgrows the cache).</summary>
    public void Grow(long capacity)
    {
        if (capacity <= Capacity) return;
        using var noGrad = LibTorch.NoGrad();
        for (int i = 0; i < _keys.Length; i++)
        {
            _keys[i] = Regrown(_keys[i], capacity);
            _values[i] = Regrown(_values[i], capacity);
        }
        Capacity = capacity;

        Tensor Regrown(Tensor old, long cap)
        {
            var grown = Tensor.Zeros([old.Size(0), old.Size(1), cap, old.Size(3)], old.DType, old.Device);
            using (var head = grown.Narrow(2, 0, old.Size(2))) head.CopyFrom(old);
            old.Dispose();
            return DisposeScope.Escape(grown);
        }
    }

    /// <summary>Positions already stored (the same for every layer once a forward pass completes).</summary>
    public long Length { get; private set; }

    /// <summary>Stores k, v (B, KV, T, D) of <paramref name="layer"/> after the cached positions and returns views of all positions so far.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var t = k.Size(2);
        if (_prefillSlots is not null) return AppendPrefill(layer, k, v);
        if (_writeAt is { } writeAt) return AppendSlots(layer, k, v, writeAt);
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

    private (Tensor Keys, Tensor Values) AppendPrefill(int layer, Tensor k, Tensor v)
    {
        long t = k.Size(2), rows = k.Size(0);
        if (rows != _prefillSlots!.Size(0) || t != _span)
            throw new InvalidOperationException($"prefill mode was set for {_prefillSlots.Size(0)} rows of {_span} positions; the forward has {rows} of {t}");
        using (LibTorch.NoGrad())
        {
            using var kBlock = _keys[layer].Narrow(2, 0, t);
            using var vBlock = _values[layer].Narrow(2, 0, t);
            kBlock.IndexCopyInPlace(0, _prefillSlots, k);
            vBlock.IndexCopyInPlace(0, _prefillSlots, v);
        }
        return (k, v);
    }

    private (Tensor Keys, Tensor Values) AppendSlots(int layer, Tensor k, Tensor v, long[] writeAt)
    {
        long t = k.Size(2), rows = k.Size(0);
        if (rows != writeAt.Length) throw new InvalidOperationException($"slot mode was set for {writeAt.Length} rows; the forward has {rows}");
        using (LibTorch.NoGrad())
        {
            if (t == 1 && _writeIndex is not null)
            {
                using var kRows = _keys[layer].Narrow(0, _firstSlot, rows);
                using var vRows = _values[layer].Narrow(0, _firstSlot, rows);
                kRows.ScatterInPlace(2, _writeIndex, k);
                vRows.ScatterInPlace(2, _writeIndex, v);
            }
            else if (writeAt.All(w => w == writeAt[0]))
            {
                // Every row writes at the same place (a prefill of adjacent slots): one copy per tensor.
                if (writeAt[0] + t > Capacity) throw new InvalidOperationException($"KV cache holds {Capacity} positions; a sequence needs {writeAt[0] + t}");
                using var kBlock = _keys[layer].Narrow(0, _firstSlot, rows).Narrow(2, writeAt[0], t);
                using var vBlock = _values[layer].Narrow(0, _firstSlot, rows).Narrow(2, writeAt[0], t);
                kBlock.CopyFrom(k);
                vBlock.CopyFrom(v);
            }
            else for (int i = 0; i < rows; i++)
            {
                if (writeAt[i] + t > Capacity) throw new InvalidOperationException($"KV cache holds {Capacity} positions; a sequence needs {writeAt[i] + t}");
                using var kSlot = _keys[layer].Narrow(0, _firstSlot + i, 1).Narrow(2, writeAt[i], t);
                using var vSlot = _values[layer].Narrow(0, _firstSlot + i, 1).Narrow(2, writeAt[i], t);
                using var kRow = k.Narrow(0, i, 1);
                using var vRow = v.Narrow(0, i, 1);
                kSlot.CopyFrom(kRow);
                vSlot.CopyFrom(vRow);
            }
        }
        return (_keys[layer].Narrow(0, _firstSlot, rows).Narrow(2, 0, _span), _values[layer].Narrow(0, _firstSlot, rows).Narrow(2, 0, _span));
    }

    /// <summary>Called once per forward pass, after every layer appended its <paramref name="added"/> positions.</summary>
    public void Advance(long added)
    {
        if (_writeAt is null && _prefillSlots is null) Length += added;
    }

    public void Dispose()
    {
        _prefillSlots?.Dispose();
        _writeIndex?.Dispose();
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
