using FineTune.Torch;

namespace FineTune.Torch.Tests;

/// <summary>Scaled dot-product attention against a hand loop in float64.</summary>
public class AttentionTests
{
    // Reference: out[b,h,t] = Σ_s softmax_s(q·k/√D masked) v[s], with GQA head h → kv head h / (H/KV).
    private static double[] Reference(double[] q, double[] k, double[] v, int B, int H, int KV, int T, int S, int D, bool causal, bool[]? mask) =>
        ReferenceWith(q, k, v, B, H, KV, T, S, D, causal, mask is null ? null : (_, _, t, s) => mask[t * S + s]);

    private static double[] ReferenceWith(double[] q, double[] k, double[] v, int B, int H, int KV, int T, int S, int D, bool causal,
        Func<int, int, int, int, bool>? allowedByMask)
    {
        var o = new double[B * H * T * D];
        int rep = H / KV;
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
                for (int t = 0; t < T; t++)
                {
                    var scores = new double[S];
                    for (int s = 0; s < S; s++)
                    {
                        bool allowed = (!causal || s <= S - T + t) && (allowedByMask is null || allowedByMask(b, h, t, s));
                        if (!allowed) { scores[s] = double.NegativeInfinity; continue; }
                        double dot = 0;
                        for (int d = 0; d < D; d++)
                            dot += q[((b * H + h) * T + t) * D + d] * k[((b * KV + h / rep) * S + s) * D + d];
                        scores[s] = dot / Math.Sqrt(D);
                    }
                    var max = scores.Max();
                    var e = scores.Select(x => Math.Exp(x - max)).ToArray();
                    var z = e.Sum();
                    for (int d = 0; d < D; d++)
                    {
                        double acc = 0;
                        for (int s = 0; s < S; s++) acc += e[s] / z * v[((b * KV + h / rep) * S + s) * D + d];
                        o[((b * H + h) * T + t) * D + d] = acc;
                    }
                }
        return o;
    }

    [Theory]
    [InlineData(4, 4, 5, 5, true)]    // plain causal
    [InlineData(4, 2, 5, 5, true)]    // grouped-query attention
    [InlineData(4, 2, 2, 6, true)]    // queries after a KV cache of 4: bottom-right causal
    [InlineData(2, 1, 3, 3, false)]   // no mask
    public void Attention_MatchesHandLoop(int H, int KV, int T, int S, bool causal)
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(11);
        const int B = 2, D = 8;
        var q = Tensor.Randn([B, H, T, D], DType.Float64);
        var k = Tensor.Randn([B, KV, S, D], DType.Float64);
        var v = Tensor.Randn([B, KV, S, D], DType.Float64);
        var got = Functional.ScaledDotProductAttention(q, k, v, causal: causal).D();
        var want = Reference(q.D(), k.D(), v.D(), B, H, KV, T, S, D, causal, null);
        Assertions.Close(want, got, 1e-10, "attention");
    }

    [Fact]
    public void Attention_BoolMaskCombinesWithCausal()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(12);
        const int B = 1, H = 2, T = 4, S = 4, D = 4;
        var q = Tensor.Randn([B, H, T, D], DType.Float64);
        var k = Tensor.Randn([B, H, S, D], DType.Float64);
        var v = Tensor.Randn([B, H, S, D], DType.Float64);
        // key 0 is padding: nobody may attend to it except query 0 (so no row is empty)
        var m = new bool[T * S];
        for (int t = 0; t < T; t++)
            for (int s = 0; s < S; s++) m[t * S + s] = s != 0 || t == 0;
        var mask = Tensor.From(m, T, S);
        var got = Functional.ScaledDotProductAttention(q, k, v, mask, causal: true).D();
        var want = Reference(q.D(), k.D(), v.D(), B, H, H, T, S, D, true, m);
        Assertions.Close(want, got, 1e-10, "masked attention");
    }

    /// <summary>
    /// Masks of every shape the callers use, with grouped-query heads and queries after a cache: one per batch row
    /// (padding), one per batch row and head, and the same as an additive float mask (0 or -inf).
    /// </summary>
    /// Float32 at inference takes the single-pass kernel for short prompts; float64 the batched matmuls.
    [Theory]
    [InlineData("batch", 5, 5, false)]
    [InlineData("batch", 2, 6, false)]
    [InlineData("head", 5, 5, false)]
    [InlineData("float", 3, 5, false)]
    [InlineData("none", 6, 6, true)]
    [InlineData("batch", 5, 5, true)]
    [InlineData("batch", 2, 6, true)]
    [InlineData("head", 5, 5, true)]
    [InlineData("float", 3, 5, true)]
    public void Attention_MasksOfEachShape_WithGroupedHeads_MatchTheHandLoop(string kind, int T, int S, bool float32AtInference)
    {
        using var scope = DisposeScope.Begin();
        using var noGrad = float32AtInference ? LibTorch.NoGrad() : null;
        LibTorch.ManualSeed(13);
        const int B = 2, H = 4, KV = 2, D = 8;
        var dtype = float32AtInference ? DType.Float32 : DType.Float64;
        var q = Tensor.Randn([B, H, T, D], dtype);
        var k = Tensor.Randn([B, KV, S, D], dtype);
        var v = Tensor.Randn([B, KV, S, D], dtype);
        // Row b pads its first b keys; with "head", head h also hides key S-1 from query 0 where h is odd. The query's
        // own position always stays visible, so no row is empty.
        bool Allowed(int b, int h, int t, int s) =>
            s == S - T + t || (s >= b && !(kind == "head" && h % 2 == 1 && t == 0 && s == S - 1));
        int heads = kind == "head" ? H : 1;
        var m = new bool[B * heads * T * S];
        for (int b = 0; b < B; b++)
            for (int h = 0; h < heads; h++)
                for (int t = 0; t < T; t++)
                    for (int s = 0; s < S; s++) m[((b * heads + h) * T + t) * S + s] = Allowed(b, h, t, s);
        var mask = Tensor.From(m, B, heads, T, S);
        if (kind == "float") mask = Tensor.Zeros([B, heads, T, S], dtype).MaskedFill(mask.LogicalNot(), double.NegativeInfinity);
        var got = Functional.ScaledDotProductAttention(q, k, v, kind == "none" ? null : mask, causal: true).To(DType.Float64).D();
        var want = ReferenceWith(q.To(DType.Float64).D(), k.To(DType.Float64).D(), v.To(DType.Float64).D(), B, H, KV, T, S, D, true,
            kind == "none" ? null : Allowed);
        Assertions.Close(want, got, float32AtInference ? 2e-5 : 1e-10, $"{kind} mask");
    }

    /// <summary>
    /// One query after a KV cache (the decode step, which takes a single-pass kernel in float32 at inference): keys and
    /// values narrowed from a larger cache, grouped heads, with no mask, a padding mask, and a float mask.
    /// </summary>
    [Theory]
    [InlineData("none")]
    [InlineData("bool")]
    [InlineData("float")]
    public void Attention_DecodeStep_OnACacheView_MatchesTheHandLoop(string kind)
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(14);
        const int B = 3, H = 4, KV = 2, S = 7, D = 8, capacity = 12;
        var q = Tensor.Randn([B, 1, H, D]).Transpose(1, 2);                 // (B, H, 1, D), strided
        var k = Tensor.Randn([B, KV, capacity, D]).Narrow(2, 0, S);
        var v = Tensor.Randn([B, KV, capacity, D]).Narrow(2, 0, S);
        bool Allowed(int b, int h, int t, int s) => s >= b || s == S - 1;     // row b pads its first b keys
        var m = new bool[B * S];
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) m[b * S + s] = Allowed(b, 0, 0, s);
        Tensor? mask = kind switch
        {
            "bool" => Tensor.From(m, B, 1, 1, S),
            "float" => Tensor.Zeros([B, 1, 1, S]).MaskedFill(Tensor.From(m, B, 1, 1, S).LogicalNot(), double.NegativeInfinity),
            _ => null,
        };
        using var noGrad = LibTorch.NoGrad();
        var got = Functional.ScaledDotProductAttention(q, k, v, mask, causal: true).To(DType.Float64).D();
        var want = ReferenceWith(q.Contiguous().To(DType.Float64).D(), k.Contiguous().To(DType.Float64).D(), v.Contiguous().To(DType.Float64).D(),
            B, H, KV, 1, S, D, true, kind == "none" ? null : Allowed);
        Assertions.Close(want, got, 2e-5, $"decode attention, {kind} mask");
    }

    [Fact]
    public void Attention_IndivisibleHeads_ThrowsNamingBoth()
    {
        using var scope = DisposeScope.Begin();
        var q = Tensor.Zeros([1, 3, 2, 4]);
        var k = Tensor.Zeros([1, 2, 2, 4]);
        var e = Assert.Throws<TorchException>(() => Functional.ScaledDotProductAttention(q, k, k));
        Assert.Contains("query heads 3", e.Message);
        Assert.Contains("float32[1, 3, 2, 4]", e.Message);
    }
}
