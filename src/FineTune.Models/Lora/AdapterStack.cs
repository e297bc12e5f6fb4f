using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Lora;

/// <summary>
/// Several loaded adapters on one base model at once, for serving: slot 0 is the bare base, slot i + 1 is
/// <c>adapters[i]</c>. Every projection that any of them targets gets <see cref="StackedLoraWeights"/> (A and B of every
/// slot, ranks zero-padded to the largest, in the model's dtype); <see cref="SetRows"/> says which slot each row of the
/// next forward pass uses, so rows for different adapters go through one pass over the shared base weights.
/// Build a new stack when the set of adapters changes (a load or an unload); attaching one clears any single adapter.
/// </summary>
public sealed class AdapterStack : IDisposable
{
    private readonly Dictionary<string, StackedLoraWeights> _modules = new(StringComparer.Ordinal);
    private readonly AdapterRows _rows = new();
    private readonly double[] _scalings;     // per slot; 0 for the base
    private readonly DType _dtype;
    private readonly Device _device;

    public AdapterStack(DecoderModel model, IReadOnlyList<LoraAdapter> adapters)
    {
        Adapters = adapters;
        _dtype = model.DType;
        _device = model.Device;
        Rank = adapters.Count == 0 ? 0 : adapters.Max(a => a.Config.Rank);
        _scalings = [0, .. adapters.Select(a => a.Config.Scaling)];
        if (Rank == 0) return;
        int slots = adapters.Count + 1;
        using var scope = DisposeScope.Begin();
        using var noGrad = LibTorch.NoGrad();
        foreach (var lin in model.Linears())
        {
            if (!adapters.Any(a => a.Modules.ContainsKey(lin.Name))) continue;
            var a = Tensor.Zeros([slots * Rank, lin.InFeatures], _dtype, _device);
            var b = Tensor.Zeros([lin.OutFeatures, slots * Rank], _dtype, _device);
            for (int i = 0; i < adapters.Count; i++)
            {
                if (adapters[i].Modules.GetValueOrDefault(lin.Name) is not { } w) continue;
                long r = w.A.Size(0), at = (i + 1) * Rank;
                using var aRows = a.Narrow(0, at, r);
                using var bCols = b.Narrow(1, at, r);
                aRows.CopyFrom(w.A);
                bCols.CopyFrom(w.B);
            }
            _modules[lin.Name] = new StackedLoraWeights(DisposeScope.Escape(a), DisposeScope.Escape(b), _rows);
        }
    }

    public IReadOnlyList<LoraAdapter> Adapters { get; }
    /// <summary>The largest rank among the adapters (every slot's width).</summary>
    public int Rank { get; }

    /// <summary>The slot of <paramref name="adapter"/> (0 for null, the base); throws for an adapter not in the stack.</summary>
    public int SlotOf(LoraAdapter? adapter)
    {
        if (adapter is null) return 0;
        for (int i = 0; i < Adapters.Count; i++)
            if (ReferenceEquals(Adapters[i], adapter)) return i + 1;
        throw new ArgumentException("the adapter is not in this stack", nameof(adapter));
    }

    /// <summary>Sets the stacked weights on every projection of <paramref name="model"/> (clearing single adapters).</summary>
    public void AttachTo(DecoderModel model)
    {
        foreach (var lin in model.Linears())
        {
            lin.Adapter = null;
            lin.Stacked = _modules.GetValueOrDefault(lin.Name);
        }
    }

    public static void DetachFrom(DecoderModel model)
    {
        foreach (var lin in model.Linears()) lin.Stacked = null;
    }

    /// <summary>Row b of the next forward pass uses slot <c>slots[b]</c>.</summary>
    public void SetRows(IReadOnlyList<int> slots)
    {
        if (Rank == 0) return;
        int width = _scalings.Length * Rank;
        var mask = new float[slots.Count * width];
        for (int b = 0; b < slots.Count; b++)
        {
            int s = slots[b];
            if (s < 0 || s >= _scalings.Length) throw new ArgumentOutOfRangeException(nameof(slots), s, $"slots are 0..{_scalings.Length - 1}");
            for (int j = 0; j < Rank; j++) mask[b * width + s * Rank + j] = (float)_scalings[s];
        }
        using var scope = DisposeScope.Begin();
        _rows.Set(DisposeScope.Escape(Tensor.From(mask, slots.Count, 1, width).To(_device).To(_dtype)));
    }

    public void Dispose()
    {
        foreach (var m in _modules.Values) m.Dispose();
        _rows.Dispose();
    }
}

public static class AdapterStackChecks
{
    /// <summary>Throws unless <paramref name="adapter"/> can run on <paramref name="stack"/> (the base always can).</summary>
    public static void SlotOfChecked(this AdapterStack? stack, LoraAdapter? adapter)
    {
        if (adapter is null) return;
        if (stack is null) throw new InvalidOperationException("a sequence with an adapter needs the decoder's Adapters to hold it");
        stack.SlotOf(adapter);
    }
}
