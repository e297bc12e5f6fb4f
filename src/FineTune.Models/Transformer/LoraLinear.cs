using FineTune.Torch;

namespace FineTune.Models.Transformer;

/// <summary>
/// A linear layer y = x Wᵀ + b with an optional LoRA adapter on top, as PEFT's LoraLayer computes it:
/// y + (dropout(x) Aᵀ Bᵀ) · scaling, the input cast to the adapter's dtype and the result cast back
/// (bfloat16 base weights with float32 adapters on CUDA).
/// </summary>
public sealed class LoraLinear : IDisposable
{
    public LoraLinear(string name, Tensor weight, Tensor? bias)
    {
        Name = name;
        Weight = weight;
        Bias = bias;
    }

    /// <summary>The Hugging Face module path, e.g. <c>model.layers.0.self_attn.q_proj</c>.</summary>
    public string Name { get; }
    public Tensor Weight { get; private set; }   // (out, in)
    public Tensor? Bias { get; private set; }
    /// <summary>Whether <see cref="Weight"/> is a row slice of a <see cref="FusedLinear"/>'s weight.</summary>
    public bool IsFused { get; private set; }
    public long InFeatures => Weight.Size(1);
    public long OutFeatures => Weight.Size(0);

    /// <summary>The adapter used by <see cref="Forward"/>, or null for the bare base layer.</summary>
    public LoraWeights? Adapter { get; set; }

    /// <summary>Many adapters at once, one per row (serving; <see cref="Lora.AdapterStack"/>); when set it replaces <see cref="Adapter"/>.</summary>
    public StackedLoraWeights? Stacked { get; set; }

    /// <summary>Whether adapter dropout is active (training).</summary>
    public bool Training { get; set; }

    public Tensor Forward(Tensor x)
    {
        if (Stacked is { } stacked) return ForwardStacked(x, stacked);
        if (Adapter is not { } a) return Functional.Linear(x, Weight, Bias);   // (…, out)
        // Work on 2-d (N, in): the update then lands in a base tensor, not a view (in place on a view would make
        // autograd clone the whole gradient).
        var shape = x.Shape;
        var x2 = x.Reshape(-1, shape[^1]);                                     // (N, in)
        var y = Functional.Linear(x2, Weight, Bias);                           // (N, out)
        var xa = x2.DType == a.A.DType ? x2 : x2.To(a.A.DType);
        if (a.Dropout > 0 && Training) xa = Functional.Dropout(xa, a.Dropout, true);
        var t = Functional.Linear(xa, a.A);                                    // (N, r)
        if (t.DType == y.DType)
        {
            // y += scaling · t Bᵀ as one GEMM into y: no (N, out) temporary, no separate scale and add passes.
            using var bt = a.B.T;
            y.AddMmInPlace(t, bt, 1, a.Scaling);
        }
        else
        {
            y = y + (Functional.Linear(t, a.B) * a.Scaling).To(y.DType);      // float32 adapter on a bfloat16 base
        }
        shape[^1] = OutFeatures;
        return y.View(shape);                                                  // (…, out)
    }

    private Tensor ForwardStacked(Tensor x, StackedLoraWeights stacked)
    {
        var shape = x.Shape;
        var x2 = x.Reshape(-1, shape[^1]);                                     // (N, in)
        var y = Functional.Linear(x2, Weight, Bias);                           // (N, out)
        stacked.AddTo(y, x2);
        shape[^1] = OutFeatures;
        return y.View(shape);
    }

    /// <summary>Folds the adapter into the base weight: W += scaling · B A (for export). A fused slice is written in place.</summary>
    public void MergeAdapter()
    {
        if (Adapter is not { } a) return;
        using var scope = DisposeScope.Begin();
        using var noGrad = LibTorch.NoGrad();
        var delta = a.B.MatMul(a.A) * a.Scaling;
        var merged = (Weight.To(DType.Float32) + delta.To(DType.Float32)).To(Weight.DType);
        if (IsFused)
        {
            Weight.CopyFrom(merged);   // the fused weight is an owned copy, never the mapped checkpoint
        }
        else
        {
            Weight.Dispose();
            Weight = DisposeScope.Escape(merged);
        }
        Adapter = null;
    }

    /// <summary>Makes this layer's weight and bias views of a fused tensor (<see cref="FusedLinear"/>), freeing its own.</summary>
    internal void BindToSlice(Tensor weight, Tensor? bias)
    {
        Weight.Dispose();
        Bias?.Dispose();
        Weight = weight;
        Bias = bias;
        IsFused = true;
    }

    public void Dispose()
    {
        Weight.Dispose();
        Bias?.Dispose();
    }
}

/// <summary>One module's LoRA matrices: A (r, in), B (out, r), and how they scale.</summary>
public sealed record LoraWeights(Tensor A, Tensor B, double Scaling, double Dropout) : IDisposable
{
    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
