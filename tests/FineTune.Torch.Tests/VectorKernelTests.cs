namespace FineTune.Torch.Tests;

/// <summary>
/// The native vector kernels (native/ft_simd.cpp) on float32 CPU tensors at inference, against float64 ATen for every
/// build this CPU runs. The product of 1 to 16 rows, taken by <see cref="Functional.Linear"/>: row counts that cover each
/// tile size and the row limit, K with and without a vector tail, N with and without a block tail, weight row slices of
/// a fused matrix, strided input rows and a bias; and the cases it must leave to ATen; and the same kernel adding a LoRA
/// update into a column slice in place (<see cref="Tensor.AddMmInPlace"/>). silu·up, taken by
/// <see cref="Functional.SiluMul"/>: row lengths with and without a tail, split columns, arguments far into both tails
/// of the exponential.
/// </summary>
public class VectorKernelTests
{
    // Float32 dot products of K terms of size ~1 against float64: |error| ≤ K·eps·Σ|xᵢwᵢ| grows like √K in practice.
    private static double Tol(long k) => 1e-6 * Math.Sqrt(k) * 4 + 1e-6;

    public static TheoryData<CpuVectorIsa> Kernels()
    {
        var data = new TheoryData<CpuVectorIsa>();
        foreach (var k in new[] { CpuVectorIsa.Avx2, CpuVectorIsa.Avx512 })
            if (k <= LibTorch.BestVectorIsa) data.Add(k);
        if (data.Count == 0) data.Add(CpuVectorIsa.None);   // a CPU without AVX2: the ATen path, still checked
        return data;
    }

    /// <summary>Runs <paramref name="body"/> with <paramref name="isa"/>'s kernels, and puts the ones in use before back.</summary>
    private static void Under(CpuVectorIsa isa, Action body)
    {
        var before = LibTorch.VectorIsa;
        Assert.True(LibTorch.TryUseVectorIsa(isa));
        try
        {
            body();
        }
        finally
        {
            LibTorch.TryUseVectorIsa(before);
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EachShape_MatchesFloat64(CpuVectorIsa kernel)
    {
        Under(kernel, () =>
        {
            using var scope = DisposeScope.Begin();
            using var noGrad = LibTorch.NoGrad();
            LibTorch.ManualSeed(31);
            foreach (long m in new long[] { 1, 2, 3, 4, 5, 8, 13, 16, 17 })
            foreach (long k in new long[] { 1, 7, 16, 33, 256, 300 })
            foreach (long n in new long[] { 1, 3, 4, 5, 37 })
            foreach (bool withBias in new[] { false, true })
            {
                var fused = Tensor.Randn([n + 6, k]);
                var w = fused.Narrow(0, 2, n);                           // a part of a fused weight: rows of the whole
                var wideX = Tensor.Randn([m, k + 5]);
                var x = wideX.Narrow(1, 3, k);                           // rows k + 5 apart
                var b = withBias ? Tensor.Randn([n]) : null;
                var y = Functional.Linear(x, w, b);
                Assert.Equal([m, n], y.Shape);
                Assertions.LinearMatchesFloat64(y, x, w, b, Tol(k), $"{kernel} m{m} k{k} n{n} bias {withBias}");
            }
        });
    }

    /// <summary>A LoRA update at a decode step: y's columns += scaling · t·Bᵀ, in place, y a column slice of a fused output.</summary>
    [Theory]
    [MemberData(nameof(Kernels))]
    public void AddMmInPlace_IntoColumns_MatchesFloat64(CpuVectorIsa isa)
    {
        Under(isa, () =>
        {
            using var scope = DisposeScope.Begin();
            using var noGrad = LibTorch.NoGrad();
            LibTorch.ManualSeed(35);
            foreach (long m in new long[] { 1, 4, 9, 16, 17 })
            foreach (long r in new long[] { 1, 8, 72 })
            foreach (long n in new long[] { 5, 64 })
            {
                var whole = Tensor.Randn([m, n + 10]);
                var expected = whole.To(DType.Float64);
                var t = Tensor.Randn([m, r]);
                var b = Tensor.Randn([n, r]);
                using (var cols = whole.Narrow(1, 4, n))
                using (var bt = b.T)
                    cols.AddMmInPlace(t, bt, 1, 0.5);
                using (var cols = expected.Narrow(1, 4, n))
                using (var bt = b.To(DType.Float64).T)
                    cols.AddMmInPlace(t.To(DType.Float64), bt, 1, 0.5);
                Assertions.Close(expected.D(), whole.To(DType.Float64).D(), Tol(r), $"{isa} m{m} r{r} n{n}");   // the other columns untouched too
            }
        });
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void SiluMul_MatchesFloat64(CpuVectorIsa isa)
    {
        Under(isa, () =>
        {
            using var scope = DisposeScope.Begin();
            using var noGrad = LibTorch.NoGrad();
            LibTorch.ManualSeed(34);
            foreach (long rows in new long[] { 1, 3, 64 })
            foreach (long width in new long[] { 1, 7, 16, 17, 688 })
            {
                var both = Tensor.Randn([rows, 2 * width]) * 6;                    // gate and up side by side, as the model splits them
                var parts = both.Split([width, width], -1);
                var y = Functional.SiluMul(parts[0], parts[1]);
                var reference = Functional.SiluMul(parts[0].To(DType.Float64), parts[1].To(DType.Float64)).D();
                var got = y.To(DType.Float64).D();
                for (int i = 0; i < got.Length; i++)
                    Assert.True(Math.Abs(got[i] - reference[i]) <= 2e-6 * Math.Max(1, Math.Abs(reference[i])),
                        $"{isa} rows {rows} width {width} [{i}]: expected {reference[i]:R}, got {got[i]:R}");
            }
            // Far into the tails: e^−a overflows (a ≪ 0: silu → −0) or vanishes (a ≫ 0: silu → a).
            var tails = Tensor.From(new float[] { -200, -104, -88, -87, -20, -1e-3f, 0, 1e-3f, 20, 87, 88, 104, 200, 1e-30f, -1e-30f, 3 });
            var ones = Tensor.Ones([16]);
            var t = Functional.SiluMul(tails, ones).F();
            var tRef = Functional.SiluMul(tails.To(DType.Float64), ones.To(DType.Float64)).D();
            for (int i = 0; i < 16; i++)
                Assert.True(Math.Abs(t[i] - tRef[i]) <= 2e-6 * Math.Max(1e-30, Math.Abs(tRef[i])) + 1e-37, $"{isa} tail [{i}]: expected {tRef[i]:R}, got {t[i]:R}");
        });
    }

    [Fact]
    public void ABatchOfSequences_KeepsItsShape_AndTakesTheKernel()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(32);
        var x = Tensor.Randn([4, 1, 64]);                            // a decode step of 4 sequences
        var w = Tensor.Randn([96, 64]);
        var b = Tensor.Randn([96]);
        Tensor y = null!;
        var ops = Assertions.OpsRecorded(() =>
        {
            using (LibTorch.NoGrad()) y = Functional.Linear(x, w, b);
        });
        Assert.Equal([4, 1, 96], y.Shape);
        Assertions.LinearMatchesFloat64(y, x, w, b, Tol(64), "decode step");
        if (LibTorch.VectorIsa != CpuVectorIsa.None)
            foreach (var blas in new[] { "aten::mm", "aten::addmm", "aten::linear", "aten::matmul" })
                Assert.DoesNotContain(blas, ops);
    }

    [Fact]
    public void WithGradients_OrOtherDTypes_OrMoreRows_AtenTakesIt()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(33);
        var w = Tensor.Randn([8, 16]);
        var x = Tensor.Randn([2, 16]).RequiresGrad_();
        var ops = Assertions.OpsRecorded(() =>
        {
            var y = Functional.Linear(x, w);                             // under autograd: the gradient must flow
            y.Sum().Backward();
        });
        Assert.Contains("aten::mm", ops);
        // d(Σ x·wᵀ)/dx = the column sums of w, for each row.
        var colSums = w.Sum([0]).F();
        var grad = x.Grad!.F();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 16; j++)
                Assert.Equal(colSums[j], grad[i * 16 + j], 1e-4f);

        using var noGrad = LibTorch.NoGrad();
        var x64 = Tensor.Randn([3, 16]).To(DType.Float64);
        Assert.Equal([3, 8], Functional.Linear(x64, w.To(DType.Float64)).Shape);   // float64: ATen
        var many = Tensor.Randn([17, 16]);
        var yMany = Functional.Linear(many, w);                                   // 17 rows: past the row kernel
        Assertions.LinearMatchesFloat64(yMany, many, w, null, Tol(16), "17 rows");
    }

    [Fact]
    public void AKernelTheCpuLacks_IsRefused_AndNothingChanges()
    {
        var before = LibTorch.VectorIsa;
        Assert.Equal(LibTorch.BestVectorIsa, before);   // the default is the best this CPU runs
        if (LibTorch.BestVectorIsa < CpuVectorIsa.Avx512)
            Assert.False(LibTorch.TryUseVectorIsa(CpuVectorIsa.Avx512));
        Assert.True(LibTorch.TryUseVectorIsa(CpuVectorIsa.None));
        Assert.Equal(CpuVectorIsa.None, LibTorch.VectorIsa);
        Assert.True(LibTorch.TryUseVectorIsa(before));
        Assert.Equal(before, LibTorch.VectorIsa);
    }
}
