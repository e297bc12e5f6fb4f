namespace FineTune.Torch.Tests;

/// <summary>
/// The native kernel for products of 1 to 16 rows (native/ft_gemm.cpp), taken by <see cref="Functional.Linear"/> at
/// inference on float32 CPU tensors: against float64 ATen for every kernel build this CPU runs, over row counts that
/// cover each tile size and the row limit, K with and without a vector tail, N with and without a block tail, weight
/// row slices of a fused matrix, strided input rows and a bias; and the cases it must leave to ATen.
/// </summary>
public class SmallMatmulTests
{
    // Float32 dot products of K terms of size ~1 against float64: |error| ≤ K·eps·Σ|xᵢwᵢ| grows like √K in practice.
    private static double Tol(long k) => 1e-6 * Math.Sqrt(k) * 4 + 1e-6;

    public static TheoryData<SmallMatmulKernel> Kernels()
    {
        var data = new TheoryData<SmallMatmulKernel>();
        foreach (var k in new[] { SmallMatmulKernel.Avx2, SmallMatmulKernel.Avx512 })
            if (k <= LibTorch.BestSmallMatmul) data.Add(k);
        if (data.Count == 0) data.Add(SmallMatmulKernel.None);   // a CPU without AVX2: the ATen path, still checked
        return data;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EachShape_MatchesFloat64(SmallMatmulKernel kernel)
    {
        var before = LibTorch.SmallMatmul;
        Assert.True(LibTorch.TryUseSmallMatmul(kernel));
        try
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
                var reference = Functional.Linear(x.To(DType.Float64), w.To(DType.Float64), b?.To(DType.Float64));
                Assert.Equal([m, n], y.Shape);
                Assertions.Close(reference.D(), y.To(DType.Float64).D(), Tol(k), $"{kernel} m{m} k{k} n{n} bias {withBias}");
            }
        }
        finally
        {
            LibTorch.TryUseSmallMatmul(before);
        }
    }

    [Fact]
    public void ABatchOfSequences_KeepsItsShape_AndTakesTheKernel()
    {
        using var scope = DisposeScope.Begin();
        var dir = Directory.CreateTempSubdirectory("ft-small-mm");
        try
        {
            LibTorch.ManualSeed(32);
            var x = Tensor.Randn([4, 1, 64]);                            // a decode step of 4 sequences
            var w = Tensor.Randn([96, 64]);
            var b = Tensor.Randn([96]);
            var path = Path.Combine(dir.FullName, "trace.json");
            Tensor y;
            using (LibTorch.NoGrad())
            using (LibTorch.Profile(path))
                y = Functional.Linear(x, w, b);
            Assert.Equal([4, 1, 96], y.Shape);
            var reference = Functional.Linear(x.To(DType.Float64), w.To(DType.Float64), b.To(DType.Float64));
            Assertions.Close(reference.D(), y.To(DType.Float64).D(), Tol(64), "decode step");
            var ops = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray()
                .Select(e => e.GetProperty("name").GetString()).ToHashSet();
            if (LibTorch.SmallMatmul != SmallMatmulKernel.None)
                foreach (var blas in new[] { "aten::mm", "aten::addmm", "aten::linear", "aten::matmul" })
                    Assert.DoesNotContain(blas, ops);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void WithGradients_OrOtherDTypes_OrMoreRows_AtenTakesIt()
    {
        using var scope = DisposeScope.Begin();
        var dir = Directory.CreateTempSubdirectory("ft-small-mm");
        try
        {
            LibTorch.ManualSeed(33);
            var w = Tensor.Randn([8, 16]);
            var x = Tensor.Randn([2, 16]).RequiresGrad_();
            var path = Path.Combine(dir.FullName, "trace.json");
            using (LibTorch.Profile(path))
            {
                var y = Functional.Linear(x, w);                         // under autograd: the gradient must flow
                y.Sum().Backward();
            }
            var ops = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray()
                .Select(e => e.GetProperty("name").GetString()).ToHashSet();
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
            var yMany = Functional.Linear(many, w);                                   // 17 rows: OpenBLAS
            Assertions.Close(Functional.Linear(many.To(DType.Float64), w.To(DType.Float64)).D(), yMany.To(DType.Float64).D(), Tol(16), "17 rows");
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void AKernelTheCpuLacks_IsRefused_AndNothingChanges()
    {
        var before = LibTorch.SmallMatmul;
        Assert.Equal(LibTorch.BestSmallMatmul, before);   // the default is the best this CPU runs
        if (LibTorch.BestSmallMatmul < SmallMatmulKernel.Avx512)
            Assert.False(LibTorch.TryUseSmallMatmul(SmallMatmulKernel.Avx512));
        Assert.True(LibTorch.TryUseSmallMatmul(SmallMatmulKernel.None));
        Assert.Equal(SmallMatmulKernel.None, LibTorch.SmallMatmul);
        Assert.True(LibTorch.TryUseSmallMatmul(before));
        Assert.Equal(before, LibTorch.SmallMatmul);
    }
}
