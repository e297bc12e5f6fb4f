using FineTune.Torch;

namespace FineTune.Models.Transformer;

/// <summary>
/// Several projections of one input (q, k, v; gate, up) as one matmul: their weights (and biases) are concatenated
/// by rows when the model is built, and each projection stays a <see cref="LoraLinear"/> whose weight is its row
/// slice of the fused one, with its own checkpoint name and its own adapter. Checkpoints and adapters on disk keep
/// the separate names; <see cref="DecoderModel.NamedWeights"/> yields the slices.
/// </summary>
public sealed class FusedLinear : IDisposable
{
    private readonly long[] _offsets;

    /// <summary>Fuses <paramref name="parts"/> (all with the same input size, all with or all without bias); their own tensors are freed.</summary>
    public FusedLinear(IReadOnlyList<LoraLinear> parts)
    {
        if (parts.Count < 2) throw new ArgumentException("fusing needs at least two projections", nameof(parts));
        if (parts.Any(p => p.InFeatures != parts[0].InFeatures || (p.Bias is null) != (parts[0].Bias is null) || p.Weight.DType != parts[0].Weight.DType))
            throw new ArgumentException($"projections {string.Join(", ", parts.Select(p => p.Name))} differ in input size, bias or dtype", nameof(parts));
        Parts = parts;
        using (var scope = DisposeScope.Begin())
        using (LibTorch.NoGrad())
        {
            Weight = DisposeScope.Escape(Tensor.Cat(parts.Select(p => p.Weight).ToList(), 0));                           // (Σ out, in)
            Bias = parts[0].Bias is null ? null : DisposeScope.Escape(Tensor.Cat(parts.Select(p => p.Bias!).ToList(), 0)); // (Σ out)
        }
        _offsets = new long[parts.Count + 1];
        for (int i = 0; i < parts.Count; i++) _offsets[i + 1] = _offsets[i] + parts[i].OutFeatures;
        for (int i = 0; i < parts.Count; i++)
            parts[i].BindToSlice(Weight.Narrow(0, _offsets[i], parts[i].OutFeatures), Bias?.Narrow(0, _offsets[i], parts[i].OutFeatures));
    }

    public IReadOnlyList<LoraLinear> Parts { get; }
    public Tensor Weight { get; }    // (Σ out, in)
    public Tensor? Bias { get; }     // (Σ out)
    public long OutFeatures => _offsets[^1];

    /// <summary>
    /// Every part's columns of a <see cref="Forward"/> result, as views. Prefer it to <see cref="Slice"/> where the parts
    /// are taken apart under autograd: one split's backward concatenates the parts' gradients, where a slice per part
    /// would each fill a zero tensor of the whole.
    /// </summary>
    public Tensor[] Split(Tensor y) => y.Split(Parts.Select(p => p.OutFeatures).ToArray(), -1);

    /// <summary>Part <paramref name="i"/>'s columns of a <see cref="Forward"/> result (a view).</summary>
    public Tensor Slice(Tensor y, int i) => y.Narrow(-1, _offsets[i], Parts[i].OutFeatures);

    /// <summary>(…, in) → (…, Σ out): the base matmul once, then each part's LoRA update into its columns.</summary>
    public Tensor Forward(Tensor x)
    {
        if (Parts.Any(p => p.Stacked is not null)) return ForwardStacked(x);
        var withAdapter = Parts.Where(p => p.Adapter is not null).ToList();
        if (withAdapter.Count == 0) return Functional.Linear(x, Weight, Bias);
        var shape = x.Shape;
        var x2 = x.Reshape(-1, shape[^1]);                                                 // (N, in)
        var y = Functional.Linear(x2, Weight, Bias);                                       // (N, Σ out)
        var adapterDType = withAdapter[0].Adapter!.A.DType;
        var xa = x2.DType == adapterDType ? x2 : x2.To(adapterDType);
        if (!LibTorch.GradEnabled && y.DType == adapterDType)
        {
            // Inference: each update straight into its columns (no autograd to mind in-place writes on views).
            for (int i = 0; i < Parts.Count; i++)
                if (Parts[i].Adapter is { } a)
                {
                    var t = Functional.Linear(xa, a.A);                                    // (N, r)
                    using var cols = Slice(y, i);
                    using var bt = a.B.T;
                    cols.AddMmInPlace(t, bt, 1, a.Scaling);
                }
        }
        else
        {
            // Training: one GEMM for every update, x·[A₁;A₂;…]ᵀ (N, Σr) times the block-diagonal of the scaled Bᵢ
            // (Σ out, Σr), added into y itself (an in-place write on a view would make autograd clone the gradient).
            var ts = new List<Tensor>();
            foreach (var p in withAdapter)
            {
                var a = p.Adapter!;
                var xi = a.Dropout > 0 && p.Training ? Functional.Dropout(xa, a.Dropout, true) : xa;
                ts.Add(Functional.Linear(xi, a.A));                                        // (N, rᵢ)
            }
            var t = Tensor.Cat(ts, 1);                                                     // (N, Σr)
            long R = t.Size(1);
            var rows = new List<Tensor>();
            long before = 0;
            foreach (var p in Parts)
            {
                if (p.Adapter is not { } a)
                {
                    rows.Add(Tensor.Zeros([p.OutFeatures, R], adapterDType, y.Device));
                    continue;
                }
                long r = a.A.Size(0);
                var blocks = new List<Tensor>();
                if (before > 0) blocks.Add(Tensor.Zeros([p.OutFeatures, before], adapterDType, y.Device));
                blocks.Add(a.B * a.Scaling);
                if (R - before - r > 0) blocks.Add(Tensor.Zeros([p.OutFeatures, R - before - r], adapterDType, y.Device));
                rows.Add(blocks.Count == 1 ? blocks[0] : Tensor.Cat(blocks, 1));
                before += r;
            }
            var b = Tensor.Cat(rows, 0);                                                   // (Σ out, Σr)
            if (t.DType == y.DType)
            {
                using var bt = b.T;
                y.AddMmInPlace(t, bt, 1, 1);
            }
            else
            {
                y = y + Functional.Linear(t, b).To(y.DType);                               // float32 adapters on a bfloat16 base
            }
        }
        shape[^1] = OutFeatures;
        return y.View(shape);                                                              // (…, Σ out)
    }

    /// <summary>Serving many adapters at once: the base matmul once, then each part's stacked update into its columns.</summary>
    private Tensor ForwardStacked(Tensor x)
    {
        var shape = x.Shape;
        var x2 = x.Reshape(-1, shape[^1]);                                                 // (N, in)
        var y = Functional.Linear(x2, Weight, Bias);                                       // (N, Σ out)
        for (int i = 0; i < Parts.Count; i++)
            if (Parts[i].Stacked is { } stacked)
            {
                using var cols = Slice(y, i);
                stacked.AddTo(cols, x2);
            }
        shape[^1] = OutFeatures;
        return y.View(shape);
    }

    public void Dispose()
    {
        foreach (var p in Parts) p.Dispose();
        Weight.Dispose();
        Bias?.Dispose();
    }
}
