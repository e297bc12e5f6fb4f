using FineTune.Torch;

namespace FineTune.Models.Transformer;

/// <summary>
/// Which adapter each row of the next forward pass uses, as a row mask over the stacked adapters' rank columns:
/// (B, 1, slots·R) with the adapter's scaling in the R columns of the row's slot and zeros elsewhere (slot 0 is the
/// bare base: all zeros). Set by <see cref="Lora.AdapterStack.SetRows"/> before each forward; shared by every layer.
/// </summary>
public sealed class AdapterRows : IDisposable
{
    /// <summary>(B, 1, slots·R) in the adapters' dtype; null until rows are set.</summary>
    public Tensor? Mask { get; private set; }

    public void Set(Tensor mask)
    {
        Mask?.Dispose();
        Mask = mask;
    }

    public void Dispose()
    {
        Mask?.Dispose();
        Mask = null;
    }
}

/// <summary>
/// One projection's LoRA matrices for many adapters at once (S-LoRA / Punica style, in plain libtorch ops): A of every
/// adapter stacked by rows (slots·R, in) and B by columns (out, slots·R), each adapter's rank zero-padded to R (exact).
/// A forward computes x·Aᵀ for every slot in one GEMM (N, slots·R), keeps each row's own slot (scaled) through the
/// shared <see cref="AdapterRows"/> mask, and adds that times Bᵀ into the base output in a second GEMM: rows with
/// different adapters share one pass, and no per-row weights are gathered or copied.
/// </summary>
public sealed class StackedLoraWeights(Tensor a, Tensor b, AdapterRows rows) : IDisposable
{
    public Tensor A { get; } = a;           // (slots·R, in)
    public Tensor B { get; } = b;           // (out, slots·R)
    public AdapterRows Rows { get; } = rows;

    /// <summary>y (N, out) += (mask ⊙ x Aᵀ) Bᵀ, in place (inference only); x is (N, in) with N = B·T of the mask's B rows.</summary>
    public void AddTo(Tensor y, Tensor x)
    {
        var mask = Rows.Mask ?? throw new InvalidOperationException("stacked adapters need their rows set before a forward pass");
        var xa = x.DType == A.DType ? x : x.To(A.DType);
        long width = A.Size(0), batch = mask.Size(0);
        var t = Functional.Linear(xa, A);                                   // (N, slots·R)
        t = (t.View(batch, -1, width) * mask).View(-1, width);             // each row keeps its own slot, scaled
        if (t.DType == y.DType)
        {
            using var bt = B.T;
            y.AddMmInPlace(t, bt, 1, 1);
        }
        else
        {
            using var delta = Functional.Linear(t, B).To(y.DType);
            y.AddInPlace(delta);
        }
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
