namespace FineTune.Torch;

public enum Reduction
{
    None = 0,
    Mean = 1,
    Sum = 2,
}

/// <summary>Neural-network building blocks (PyTorch's torch.nn.functional).</summary>
public static class Functional
{
    /// <summary>x @ weightᵀ + bias; weight (out, in).</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) =>
        Tensor.Wrap(Native.ft_linear(x.Handle, weight.Handle, bias?.Handle ?? 0), "Linear", x, weight, bias);

    public static Tensor Embedding(Tensor weight, Tensor ids) =>
        Tensor.Wrap(Native.ft_embedding(weight.Handle, ids.Handle), "Embedding", weight, ids);

    /// <summary>Root-mean-square norm over the last dimension, computed in float32 as Hugging Face's Llama/Qwen2 do.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps) =>
        Tensor.Wrap(Native.ft_rms_norm(x.Handle, weight.Handle, eps), $"RmsNorm(eps {eps})", x, weight);

    /// <summary>
    /// Cross entropy of logits (N, C) against class ids (N); targets equal to <paramref name="ignoreIndex"/>
    /// count neither in the loss nor in the mean's denominator.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0) =>
        Tensor.Wrap(Native.ft_cross_entropy(logits.Handle, targets.Handle, ignoreIndex, (int)reduction, labelSmoothing),
            $"CrossEntropy(ignore {ignoreIndex}, {reduction})", logits, targets);

    public static Tensor Dropout(Tensor x, double p, bool training) =>
        p <= 0 || !training ? x.Alias() : Tensor.Wrap(Native.ft_dropout(x.Handle, p, 1), $"Dropout({p})", x);

    public static Tensor Silu(Tensor x) => x.Silu();

    /// <summary>silu(gate) · up (SwiGLU), one pass over the rows at inference on the CPU.</summary>
    public static Tensor SiluMul(Tensor gate, Tensor up) =>
        Tensor.Wrap(Native.ft_silu_mul(gate.Handle, up.Handle), "SiluMul", gate, up);

    /// <summary>
    /// Rotary embedding: x·cos + rotate_half(x)·sin with rotate_half(x) = (−x₂, x₁) over the last dimension; x (B, H, T, D),
    /// cos and sin broadcastable to it. One pass at inference on the CPU.
    /// </summary>
    public static Tensor Rope(Tensor x, Tensor cos, Tensor sin) =>
        Tensor.Wrap(Native.ft_rope(x.Handle, cos.Handle, sin.Handle), "Rope", x, cos, sin);
    public static Tensor Softmax(Tensor x, long dim) => x.Softmax(dim);
    public static Tensor LogSoftmax(Tensor x, long dim) => x.LogSoftmax(dim);

    /// <summary>
    /// Scaled dot-product attention. q (B, H, T, D); k, v (B, KV, S, D) with H a multiple of KV (GQA).
    /// mask: bool (true = may attend) or additive float, broadcastable to (B, H, T, S). Causal masking is
    /// bottom-right aligned, so it also holds for queries appended after a KV cache. Fused on libtorch 2.x.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, bool causal = false, double dropout = 0, double? scale = null) =>
        Tensor.Wrap(Native.ft_attention(q.Handle, k.Handle, v.Handle, mask?.Handle ?? 0, dropout, causal ? 1 : 0, scale ?? 0),
            $"ScaledDotProductAttention(causal {causal})", q, k, v, mask);
}
