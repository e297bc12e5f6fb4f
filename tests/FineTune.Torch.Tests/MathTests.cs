using FineTune.Torch;

namespace FineTune.Torch.Tests;

public class MathTests
{
    [Fact]
    public void Arithmetic_BroadcastsAndTakesScalars()
    {
        using var scope = DisposeScope.Begin();
        var a = Tensor.From(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var row = Tensor.From(new float[] { 10, 20, 30 });
        Assert.Equal(new float[] { 11, 22, 33, 14, 25, 36 }, (a + row).F());
        Assert.Equal(new float[] { -9, -18, -27, -6, -15, -24 }, (a - row).F());
        Assert.Equal(new float[] { 10, 40, 90, 40, 100, 180 }, (a * row).F());
        Assert.Equal(new float[] { 0.5f, 1, 1.5f, 2, 2.5f, 3 }, (a / 2).F());
        Assert.Equal(new float[] { 9, 8, 7, 6, 5, 4 }, (10 - a).F());
        Assert.Equal(new float[] { 1, 4, 9, 16, 25, 36 }, a.Pow(2).F());
        Assert.Equal(new float[] { -1, -2, -3, -4, -5, -6 }, (-a).F());
    }

    [Fact]
    public void Unary_MatchMathFunctions()
    {
        using var scope = DisposeScope.Begin();
        double[] x = { -2.0, -0.5, 0.25, 1.0, 3.0 };
        var t = Tensor.From(x);
        Assertions.Close(x.Select(Math.Exp).ToArray(), t.Exp().D(), 1e-12);
        Assertions.Close(x.Select(Math.Tanh).ToArray(), t.Tanh().D(), 1e-12);
        Assertions.Close(x.Select(v => 1 / (1 + Math.Exp(-v))).ToArray(), t.Sigmoid().D(), 1e-12);
        Assertions.Close(x.Select(v => v / (1 + Math.Exp(-v))).ToArray(), t.Silu().D(), 1e-12);
        Assertions.Close(x.Select(Math.Abs).ToArray(), t.Abs().D(), 0);
        var pos = t.Abs();
        Assertions.Close(x.Select(v => Math.Sqrt(Math.Abs(v))).ToArray(), pos.Sqrt().D(), 1e-12);
        Assertions.Close(x.Select(v => 1 / Math.Sqrt(Math.Abs(v))).ToArray(), pos.Rsqrt().D(), 1e-12);
        Assertions.Close(x.Select(v => Math.Log(Math.Abs(v))).ToArray(), pos.Log().D(), 1e-12);
    }

    [Fact]
    public void MatMulAndLinear_MatchHandLoops()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(7);
        var a = Tensor.Randn([3, 4], DType.Float64);
        var b = Tensor.Randn([4, 5], DType.Float64);
        var bias = Tensor.Randn([5], DType.Float64);
        double[] av = a.D(), bv = b.D(), biasv = bias.D();
        var expected = new double[15];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 5; j++)
                for (int k = 0; k < 4; k++)
                    expected[i * 5 + j] += av[i * 4 + k] * bv[k * 5 + j];
        Assertions.Close(expected, a.MatMul(b).D(), 1e-12);
        // linear(x, W, b) = x Wᵀ + b with W (out, in)
        var lin = Functional.Linear(a, b.T, bias).D();
        Assertions.Close(expected.Select((v, i) => v + biasv[i % 5]).ToArray(), lin, 1e-12);
    }

    [Fact]
    public void SoftmaxAndLogSoftmax_NormalizeRows()
    {
        using var scope = DisposeScope.Begin();
        double[] x = { 1, 2, 3, -1, 0, 1 };
        var t = Tensor.From(x, 2, 3);
        var expected = new double[6];
        for (int r = 0; r < 2; r++)
        {
            var z = Enumerable.Range(0, 3).Select(c => Math.Exp(x[r * 3 + c])).Sum();
            for (int c = 0; c < 3; c++) expected[r * 3 + c] = Math.Exp(x[r * 3 + c]) / z;
        }
        Assertions.Close(expected, t.Softmax(-1).D(), 1e-12);
        Assertions.Close(expected.Select(x => Math.Log(x)).ToArray(), t.LogSoftmax(-1).D(), 1e-12);
    }

    [Fact]
    public void CrossEntropy_IgnoresIndexAndReduces()
    {
        using var scope = DisposeScope.Begin();
        double[] logits = { 2, 1, 0, 0, 1, 2, 1, 1, 1 };
        long[] targets = { 0, -100, 1 };
        var l = Tensor.From(logits, 3, 3);
        var t = Tensor.From(targets);
        double Nll(int row, int cls)
        {
            var z = Math.Log(Enumerable.Range(0, 3).Sum(c => Math.Exp(logits[row * 3 + c])));
            return z - logits[row * 3 + cls];
        }
        double l0 = Nll(0, 0), l2 = Nll(2, 1);
        Assert.Equal((l0 + l2) / 2, Functional.CrossEntropy(l, t).Item(), 12);
        Assert.Equal(l0 + l2, Functional.CrossEntropy(l, t, reduction: Reduction.Sum).Item(), 12);
        Assertions.Close(new[] { l0, 0, l2 }, Functional.CrossEntropy(l, t, reduction: Reduction.None).D(), 1e-12);
    }

    [Fact]
    public void EmbeddingMaskedFillWhereTriuClamp()
    {
        using var scope = DisposeScope.Begin();
        var w = Tensor.From(new float[] { 0, 0, 1, 1, 2, 2 }, 3, 2);
        Assert.Equal(new float[] { 2, 2, 0, 0, 2, 2 }, Functional.Embedding(w, Tensor.From(new long[] { 2, 0, 2 })).F());
        var x = Tensor.From(new float[] { 1, 2, 3, 4 }, 2, 2);
        var mask = Tensor.From(new[] { true, false, false, true }, 2, 2);
        Assert.Equal(new float[] { -1, 2, 3, -1 }, x.MaskedFill(mask, -1).F());
        Assert.Equal(new float[] { 1, 0, 0, 4 }, Tensor.Where(mask, x, Tensor.Zeros([2, 2])).F());
        Assert.Equal(new float[] { 1, 2, 0, 4 }, x.Triu().F());
        Assert.Equal(new float[] { 1, 0, 3, 4 }, x.Tril().F());
        Assert.Equal(new float[] { 2, 2, 3, 3 }, x.Clamp(2, 3).F());
        Assert.Equal(new float[] { 1, 2, 3, 3 }, x.Clamp(max: 3).F());
    }

    [Fact]
    public void Reductions_SumMeanMaxArgMaxNorm()
    {
        using var scope = DisposeScope.Begin();
        var x = Tensor.From(new float[] { 1, 5, 3, 4, 2, 6 }, 2, 3);
        Assert.Equal(21, x.Sum().Item());
        Assert.Equal(new float[] { 9, 12 }, x.Sum(1).F());
        Assert.Equal(new long[] { 2, 1 }, x.Sum(1, keepDim: true).Shape);
        Assert.Equal(new float[] { 2.5f, 3.5f, 4.5f }, x.Mean(0).F());
        Assert.Equal(3.5, x.Mean().Item(), 6);
        Assert.Equal(6, x.Max().Item());
        var (values, indices) = x.Max(1);
        Assert.Equal(new float[] { 5, 6 }, values.F());
        Assert.Equal(new long[] { 1, 2 }, indices.ToArray<long>());
        Assert.Equal(new long[] { 1, 2 }, x.ArgMax(1).ToArray<long>());
        Assert.Equal(Math.Sqrt(1 + 25 + 9 + 16 + 4 + 36), x.Norm().Item(), 5);
        Assert.Equal(new float[] { 1, 6, 9, 4, 6, 12 }, x.CumSum(1).F());
    }

    [Fact]
    public void TopKAndSort_OrderValues()
    {
        using var scope = DisposeScope.Begin();
        var x = Tensor.From(new float[] { 0.1f, 0.7f, 0.2f, 0.9f });
        var (v, i) = x.TopK(2);
        Assert.Equal(new float[] { 0.9f, 0.7f }, v.F());
        Assert.Equal(new long[] { 3, 1 }, i.ToArray<long>());
        var (sv, si) = x.Sort(descending: true);
        Assert.Equal(new long[] { 3, 1, 2, 0 }, si.ToArray<long>());
        Assert.Equal(new float[] { 0.9f, 0.7f, 0.2f, 0.1f }, sv.F());
    }

    [Fact]
    public void Multinomial_FollowsProbabilitiesAndSeed()
    {
        using var scope = DisposeScope.Begin();
        var p = Tensor.From(new float[] { 0.0f, 0.8f, 0.2f });
        LibTorch.ManualSeed(3);
        var a = p.Multinomial(2000, replacement: true).ToArray<long>();
        LibTorch.ManualSeed(3);
        var b = p.Multinomial(2000, replacement: true).ToArray<long>();
        Assert.Equal(a, b);
        Assert.DoesNotContain(0L, a);
        var ones = a.Count(x => x == 1) / 2000.0;
        Assert.InRange(ones, 0.75, 0.85);
    }

    [Fact]
    public void RmsNorm_MatchesFormula()
    {
        using var scope = DisposeScope.Begin();
        double[] x = { 1, 2, 3, 4, -1, 0, 1, 2 };
        double[] w = { 1, 0.5, 2, 1 };
        var y = Functional.RmsNorm(Tensor.From(x, 2, 4), Tensor.From(w), 1e-6).D();
        for (int r = 0; r < 2; r++)
        {
            var ms = Enumerable.Range(0, 4).Average(c => x[r * 4 + c] * x[r * 4 + c]);
            for (int c = 0; c < 4; c++)
                // computed in float32 inside, like Hugging Face
                Assert.Equal(x[r * 4 + c] / Math.Sqrt(ms + 1e-6) * w[c], y[r * 4 + c], 5);
        }
    }

    [Fact]
    public void Dropout_ZeroesAndRescalesInTrainingOnly()
    {
        using var scope = DisposeScope.Begin();
        var x = Tensor.Ones([10000]);
        LibTorch.ManualSeed(1);
        var d = Functional.Dropout(x, 0.25, training: true).F();
        Assert.All(d, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75) < 1e-6));
        Assert.InRange(d.Count(v => v == 0) / 10000.0, 0.22, 0.28);
        Assert.All(Functional.Dropout(x, 0.25, training: false).F(), v => Assert.Equal(1f, v));
    }
}
