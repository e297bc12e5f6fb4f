using FineTune.Torch;

namespace FineTune.Torch.Tests;

/// <summary>Gradients against central finite differences in float64.</summary>
public class AutogradTests
{
    // f(x, w) = Σ softmax(silu(x @ w) + tanh(x @ w)) ⊙ c, a mix of the ops the model uses.
    private static Tensor F(Tensor x, Tensor w, Tensor c)
    {
        var h = x.MatMul(w);
        return ((h.Silu() + h.Tanh()).Softmax(-1) * c).Sum();
    }

    private static double[] FiniteDifference(Func<double[], double> f, double[] at, double eps = 1e-6)
    {
        var g = new double[at.Length];
        for (int i = 0; i < at.Length; i++)
        {
            var p = (double[])at.Clone(); p[i] += eps;
            var m = (double[])at.Clone(); m[i] -= eps;
            g[i] = (f(p) - f(m)) / (2 * eps);
        }
        return g;
    }

    [Fact]
    public void Backward_MatchesFiniteDifferences()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(5);
        var x = Tensor.Randn([3, 4], DType.Float64);
        var w = Tensor.Randn([4, 5], DType.Float64).RequiresGrad_();
        var c = Tensor.Randn([3, 5], DType.Float64);
        F(x, w, c).Backward();
        var analytic = w.Grad!.D();

        var wv = w.D();
        double Eval(double[] values)
        {
            using var s = DisposeScope.Begin();
            return F(x, Tensor.From(values, 4, 5), c).Item();
        }
        Assertions.Close(FiniteDifference(Eval, wv), analytic, 1e-7, "dL/dw");
    }

    [Fact]
    public void CrossEntropyAndAttention_GradientsMatchFiniteDifferences()
    {
        // Two query heads sharing one key/value head, so every path of the grouped attention has a gradient to check.
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(6);
        var q = Tensor.Randn([1, 2, 3, 4], DType.Float64).RequiresGrad_();
        var k = Tensor.Randn([1, 1, 3, 4], DType.Float64).RequiresGrad_();
        var v = Tensor.Randn([1, 1, 3, 4], DType.Float64).RequiresGrad_();
        var targets = Tensor.From(new long[] { 1, -100, 3, 0, 2, 1 });
        Tensor Loss(Tensor qq, Tensor kk, Tensor vv) =>
            Functional.CrossEntropy(Functional.ScaledDotProductAttention(qq, kk, vv, causal: true).Reshape(6, 4), targets);
        Loss(q, k, v).Backward();
        double Eval(int which, double[] values)
        {
            using var s = DisposeScope.Begin();
            var t = Tensor.From(values, 1, which == 0 ? 2 : 1, 3, 4);
            return Loss(which == 0 ? t : q.Detach(), which == 1 ? t : k.Detach(), which == 2 ? t : v.Detach()).Item();
        }
        Assertions.Close(FiniteDifference(x => Eval(0, x), q.D()), q.Grad!.D(), 1e-7, "dL/dq");
        Assertions.Close(FiniteDifference(x => Eval(1, x), k.D()), k.Grad!.D(), 1e-7, "dL/dk");
        Assertions.Close(FiniteDifference(x => Eval(2, x), v.D()), v.Grad!.D(), 1e-7, "dL/dv");
    }

    [Fact]
    public void Backward_WithGradientArgument_ScalesChainRule()
    {
        using var scope = DisposeScope.Begin();
        var x = Tensor.From(new double[] { 1, 2, 3 }).RequiresGrad_();
        var y = x * x;
        y.Backward(Tensor.From(new double[] { 1, 10, 100 }));
        Assert.Equal(new double[] { 2, 40, 600 }, x.Grad!.D());
    }

    [Fact]
    public void Gradients_AccumulateUntilZeroed()
    {
        using var scope = DisposeScope.Begin();
        var x = Tensor.From(new double[] { 1, 2 }).RequiresGrad_();
        Assert.Null(x.Grad);
        (x * 3).Sum().Backward();
        (x * 3).Sum().Backward();
        Assert.Equal(new double[] { 6, 6 }, x.Grad!.D());
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void NoGradAndDetach_RecordNothing()
    {
        using var scope = DisposeScope.Begin();
        var x = Tensor.From(new double[] { 1, 2 }).RequiresGrad_();
        using (LibTorch.NoGrad())
        {
            Assert.False(LibTorch.GradEnabled);
            Assert.False((x * 2).RequiresGrad);
        }
        Assert.True(LibTorch.GradEnabled);
        Assert.True((x * 2).RequiresGrad);
        Assert.False(x.Detach().RequiresGrad);
    }

    [Fact]
    public void ClipGradNorm_ScalesToMaxNormAndReportsTotal()
    {
        using var scope = DisposeScope.Begin();
        var a = Tensor.From(new double[] { 1, 1 }).RequiresGrad_();
        var b = Tensor.From(new double[] { 1 }).RequiresGrad_();
        ((a * Tensor.From(new double[] { 3, 0 })).Sum() + (b * 4).Sum()).Backward();   // grads (3, 0) and (4): norm 5
        var total = LibTorch.ClipGradNorm([a, b], 1.0);
        Assert.Equal(5.0, total, 9);
        var coef = 1.0 / (5.0 + 1e-6);
        Assertions.Close(new[] { 3 * coef, 0 }, a.Grad!.D(), 1e-12);
        Assertions.Close(new[] { 4 * coef }, b.Grad!.D(), 1e-12);
        // under the limit: unchanged
        Assert.Equal(1.0, LibTorch.ClipGradNorm([a, b], 10.0), 5);
        Assertions.Close(new[] { 4 * coef }, b.Grad!.D(), 1e-12);
    }
}
