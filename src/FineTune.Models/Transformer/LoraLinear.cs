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
    public Tensor? Bias { get; }
    public long InFeatures => Weight.Size(1);
    public long OutFeatures => Weight.Size(0);

    /// <summary>The adapter used by <see cref="Forward"/>, or null for the bare base layer.</summary>
    public LoraWeights? Adapter { get; set; }

    /// <summary>Whether adapter dropout is active (training).</summary>
    public bool Training { get; set; }

    public Tensor Forward(Tensor x)
    {
        var y = Functional.Linear(x, Weight, Bias);
        if (Adapter is not { } a) return y;
        var inDtype = x.DType;
        var xa = inDtype == a.A.DType ? x : x.To(a.A.DType);
        if (a.Dropout > 0 && Training) xa = Functional.Dropout(xa, a.Dropout, true);
        var delta = Functional.Linear(Functional.Linear(xa, a.A), a.B) * a.Scaling;   // (…, out)
        return y + (delta.DType == y.DType ? delta : delta.To(y.DType));
    }

    /// <summary>Folds the adapter into the base weight: W += scaling · B A (for export).</summary>
    public void MergeAdapter()
    {
        if (Adapter is not { } a) return;
        using var scope = DisposeScope.Begin();
        using var noGrad = Torch.Torch.NoGrad();
        var delta = a.B.MatMul(a.A) * a.Scaling;
        var merged = DisposeScope.Detach((Weight.To(DType.Float32) + delta.To(DType.Float32)).To(Weight.DType));
        Weight.Dispose();
        Weight = merged;
        Adapter = null;
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
