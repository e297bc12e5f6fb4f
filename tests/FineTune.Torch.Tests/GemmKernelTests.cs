namespace FineTune.Torch.Tests;

/// <summary>
/// The AVX-512 matrix product for linear layers of 17 rows and more (native/ft_gemm.cpp), taken by
/// <see cref="Functional.Linear"/>: against float64 over row counts from 17, with and without a 12-row tail, K across one and
/// two 256-deep blocks, N across one and two 512-wide blocks and a 32-wide panel tail, a bias, a weight that is a row
/// slice or a column slice of a bigger matrix, a 3-d input; under autograd through a frozen weight, the input's
/// gradient from the same kernel; a weight that trains, and other kernels in use, left to ATen. On a CPU without
/// AVX-512 the same checks run on ATen's path.
/// </summary>
public class GemmKernelTests
{
    private static double Tol(long k) => 1e-6 * Math.Sqrt(k) * 4 + 1e-6;

    [Fact]
    public void EachShape_MatchesFloat64()
    {
        using var scope = DisposeScope.Begin();
        using var noGrad = LibTorch.NoGrad();
        LibTorch.ManualSeed(41);
        foreach (long m in new long[] { 17, 64, 203 })
        foreach (long k in new long[] { 16, 77, 256, 300 })
        foreach (long n in new long[] { 16, 45, 520, 600 })
        foreach (bool withBias in new[] { false, true })
        {
            var whole = Tensor.Randn([n + 4, k + 3]);
            // Rows of a fused weight (rows k + 3 apart) on odd shapes, a contiguous weight on the others.
            var w = (k + n) % 2 == 1 ? whole.Narrow(0, 1, n).Narrow(1, 2, k) : whole.Narrow(0, 1, n).Narrow(1, 0, k).Contiguous();
            var wideX = Tensor.Randn([m, k + 5]);
            var x = wideX.Narrow(1, 3, k);                           // rows k + 5 apart
            var b = withBias ? Tensor.Randn([n]) : null;
            var y = Functional.Linear(x, w, b);
            Assert.Equal([m, n], y.Shape);
            Assertions.LinearMatchesFloat64(y, x, w, b, Tol(k), $"m{m} k{k} n{n} bias {withBias}");
        }
    }

    [Fact]
    public void APrefill_TakesTheKernel_WithoutBlas()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(42);
        var x = Tensor.Randn([4, 64, 256]);                             // a prefill of 4 sequences of 64 tokens
        var w = Tensor.Randn([384, 256]);
        var b = Tensor.Randn([384]);
        Tensor y = null!;
        var ops = Assertions.OpsRecorded(() =>
        {
            using (LibTorch.NoGrad()) y = Functional.Linear(x, w, b);
        });
        Assert.Equal([4, 64, 384], y.Shape);
        Assertions.LinearMatchesFloat64(y, x, w, b, Tol(256), "prefill");
        if (LibTorch.VectorIsa == CpuVectorIsa.Avx512)
            foreach (var blas in new[] { "aten::mm", "aten::addmm", "aten::linear", "aten::matmul" })
                Assert.DoesNotContain(blas, ops);
    }

    [Fact]
    public void ThroughAFrozenWeight_TheInputGradient_MatchesFloat64()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(43);
        foreach (var (m, k, n) in new (long, long, long)[] { (200, 300, 45), (256, 64, 600) })
        {
            var x = Tensor.Randn([m, k]).RequiresGrad_();
            var w = Tensor.Randn([n, k]);
            var b = Tensor.Randn([n]);
            var g = Tensor.Randn([m, n]);
            Tensor y = null!;
            var ops = Assertions.OpsRecorded(() =>
            {
                y = Functional.Linear(x, w, b);
                (y * g).Sum().Backward();
            });
            Assertions.LinearMatchesFloat64(y, x, w, b, Tol(k), "forward");
            // d Σ (x·wᵀ + b)·g / dx = g·w
            var expected = g.To(DType.Float64).MatMul(w.To(DType.Float64));
            Assertions.Close(expected.D(), x.Grad!.To(DType.Float64).D(), Tol(n), $"dx m{m} k{k} n{n}");
            if (LibTorch.VectorIsa == CpuVectorIsa.Avx512)
            {
                Assert.DoesNotContain("aten::mm", ops);                // neither the forward nor the input gradient
                Assert.Contains(ops, o => o is not null && o.Contains("LinearFunction"));
            }
        }
    }

    [Fact]
    public void AWeightThatTrains_OrOtherKernels_AtenTakesIt_AndGradientsStillFlow()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(44);
        var x = Tensor.Randn([200, 32]).RequiresGrad_();
        var w = Tensor.Randn([40, 32]).RequiresGrad_();
        var g = Tensor.Randn([200, 40]);
        (Functional.Linear(x, w) * g).Sum().Backward();
        // d/dw = gᵀ·x, d/dx = g·w
        Assertions.Close(g.T.To(DType.Float64).MatMul(x.Detach().To(DType.Float64)).D(), w.Grad!.To(DType.Float64).D(), Tol(200), "dw");
        Assertions.Close(g.To(DType.Float64).MatMul(w.Detach().To(DType.Float64)).D(), x.Grad!.To(DType.Float64).D(), Tol(40), "dx");

        var before = LibTorch.VectorIsa;
        Assert.Equal(before == CpuVectorIsa.Avx512, LibTorch.GemmTakes(17, 384, 256));
        Assert.False(LibTorch.GemmTakes(16, 384, 256));                  // the row kernel's
        try
        {
            Assert.True(LibTorch.TryUseVectorIsa(CpuVectorIsa.None));
            Assert.False(LibTorch.GemmTakes(256, 96, 64));
            var x2 = Tensor.Randn([256, 64]);
            var w2 = Tensor.Randn([96, 64]);
            Tensor y = null!;
            var ops = Assertions.OpsRecorded(() =>
            {
                using (LibTorch.NoGrad()) y = Functional.Linear(x2, w2);
            });
            Assert.Contains("aten::mm", ops);
            Assertions.LinearMatchesFloat64(y, x2, w2, null, Tol(64), "ATen");
        }
        finally
        {
            LibTorch.TryUseVectorIsa(before);
        }
    }
}
