namespace FineTune.Torch.Tests;

/// <summary>
/// Causal float32 attention through the AVX-512 batched products (native/ft_gemm.cpp, taken by
/// <see cref="Functional.ScaledDotProductAttention"/> on libtorch 1.13 where those kernels are in use): the output and
/// the gradients of q, k and v against the same attention in float64 (ATen's path, itself checked against a hand loop
/// in <see cref="AttentionTests"/>), over grouped heads, queries after a KV cache, row counts past the 12-row tile and key
/// counts past one 32-wide panel; a gradient asked of q alone; and the same checks with the vector kernels off (ATen).
/// </summary>
public class AttentionKernelTests
{
    // float32 sums over S keys and D dimensions, on values of order one.
    private const double Tol = 2e-4;

    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        { 2, 4, 2, 37, 37, 16 },    // grouped heads, 4·37 = 148 query rows a group: tiles of 12 and a tail of 4
        { 1, 8, 2, 5, 41, 40 },     // five queries after a cache of 36: bottom-right causal
        { 3, 2, 2, 13, 13, 24 },    // one query head per key/value head
        { 1, 4, 1, 70, 70, 64 },    // 70 keys: two 32-wide panels and a tail of 6
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void CausalAttention_OutputAndGradients_MatchFloat64(int B, int H, int KV, int T, int S, int D)
    {
        foreach (var isa in new[] { LibTorch.VectorIsa, CpuVectorIsa.None })
        {
            var before = LibTorch.VectorIsa;
            try
            {
                Assert.True(LibTorch.TryUseVectorIsa(isa));
                using var scope = DisposeScope.Begin();
                LibTorch.ManualSeed(51);
                var q = Tensor.Randn([B, H, T, D]).RequiresGrad_();
                var k = Tensor.Randn([B, KV, S, D]).RequiresGrad_();
                var v = Tensor.Randn([B, KV, S, D]).RequiresGrad_();
                var g = Tensor.Randn([B, H, T, D]);
                Tensor o = null!;
                var ops = Assertions.OpsRecorded(() =>
                {
                    o = Functional.ScaledDotProductAttention(q, k, v, causal: true);
                    (o * g).Sum().Backward();
                });
                var q64 = q.Detach().To(DType.Float64).RequiresGrad_();
                var k64 = k.Detach().To(DType.Float64).RequiresGrad_();
                var v64 = v.Detach().To(DType.Float64).RequiresGrad_();
                var o64 = Functional.ScaledDotProductAttention(q64, k64, v64, causal: true);
                (o64 * g.To(DType.Float64)).Sum().Backward();
                var what = $"B{B} H{H} KV{KV} T{T} S{S} D{D} {isa}";
                Assertions.Close(o64.Detach().D(), o.Detach().To(DType.Float64).D(), Tol, $"out {what}");
                Assertions.Close(q64.Grad!.D(), q.Grad!.To(DType.Float64).D(), Tol, $"dq {what}");
                Assertions.Close(k64.Grad!.D(), k.Grad!.To(DType.Float64).D(), Tol, $"dk {what}");
                Assertions.Close(v64.Grad!.D(), v.Grad!.To(DType.Float64).D(), Tol, $"dv {what}");
                bool kernel = isa == CpuVectorIsa.Avx512 && LibTorch.Version.StartsWith("1.", StringComparison.Ordinal);
                Assert.Equal(kernel, ops.Any(op => op is not null && op.Contains("CausalAttentionFunction")));
                if (kernel)
                    foreach (var blas in new[] { "aten::bmm", "aten::baddbmm", "aten::mm" })
                        Assert.DoesNotContain(blas, ops);
            }
            finally
            {
                LibTorch.TryUseVectorIsa(before);
            }
        }
    }

    [Fact]
    public void OnlyQAskingForAGradient_GetsIt_AndKAndVGetNone()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(52);
        var q = Tensor.Randn([2, 4, 20, 16]).RequiresGrad_();
        var k = Tensor.Randn([2, 2, 20, 16]);
        var v = Tensor.Randn([2, 2, 20, 16]);
        var g = Tensor.Randn([2, 4, 20, 16]);
        (Functional.ScaledDotProductAttention(q, k, v, causal: true) * g).Sum().Backward();
        var q64 = q.Detach().To(DType.Float64).RequiresGrad_();
        (Functional.ScaledDotProductAttention(q64, k.To(DType.Float64), v.To(DType.Float64), causal: true) * g.To(DType.Float64)).Sum().Backward();
        Assertions.Close(q64.Grad!.D(), q.Grad!.To(DType.Float64).D(), Tol, "dq");
        Assert.Null(k.Grad);
        Assert.Null(v.Grad);
    }

    [Fact]
    public void APrefill_WithoutAutograd_MatchesFloat64()
    {
        using var scope = DisposeScope.Begin();
        using var noGrad = LibTorch.NoGrad();
        LibTorch.ManualSeed(53);
        var q = Tensor.Randn([4, 8, 64, 32]);
        var k = Tensor.Randn([4, 2, 64, 32]);
        var v = Tensor.Randn([4, 2, 64, 32]);
        var o = Functional.ScaledDotProductAttention(q, k, v, causal: true);
        var o64 = Functional.ScaledDotProductAttention(q.To(DType.Float64), k.To(DType.Float64), v.To(DType.Float64), causal: true);
        Assertions.Close(o64.D(), o.To(DType.Float64).D(), Tol, "prefill");
    }
}
