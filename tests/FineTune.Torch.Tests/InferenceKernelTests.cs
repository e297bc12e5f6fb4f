namespace FineTune.Torch.Tests;

/// <summary>
/// The single-pass CPU kernels taken at inference (float32, no gradient) against the same functions on float64, which
/// run as ATen ops; and the gradient path, which must still be the ATen one. Inputs are views with strides, as the
/// model passes them (split columns, transposed heads, a KV cache narrowed to its length).
/// </summary>
public class InferenceKernelTests
{
    private const double Tol = 2e-5;

    [Fact]
    public void RmsNorm_OnStridedRows_MatchesFloat64()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(21);
        var wide = Tensor.Randn([3, 5, 40]);
        var x = wide.Narrow(-1, 4, 32);                       // rows 40 apart
        var w = Tensor.Randn([32]);
        var fast = Functional.RmsNorm(x, w, 1e-6);
        var reference = Functional.RmsNorm(x.To(DType.Float64), w.To(DType.Float64), 1e-6);
        Assert.Equal([3, 5, 32], fast.Shape);
        Assertions.Close(reference.D(), fast.To(DType.Float64).D(), Tol, "rms norm");
    }

    [Fact]
    public void Rope_OnTransposedHeadsWithBroadcastAngles_MatchesFloat64()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(22);
        const int B = 2, T = 3, H = 4, D = 8;
        var x = Tensor.Randn([B, T, H, D]).Transpose(1, 2);   // (B, H, T, D), as the attention takes q and k
        var cos = Tensor.Randn([B, 1, T, D]);
        var sin = Tensor.Randn([B, 1, T, D]);
        var fast = Functional.Rope(x, cos, sin);
        var reference = Functional.Rope(x.To(DType.Float64), cos.To(DType.Float64), sin.To(DType.Float64));
        Assertions.Close(reference.D(), fast.To(DType.Float64).D(), Tol, "rope");
        // By hand for one element: d < D/2 takes −x[d + D/2]·sin, d ≥ D/2 takes +x[d − D/2]·sin.
        var xs = x.Contiguous().F();
        var cs = cos.F();
        var ss = sin.F();
        var got = fast.F();
        int b = 1, h = 2, t = 1;
        for (int d = 0; d < D; d++)
        {
            float xv = xs[((b * H + h) * T + t) * D + d], partner = xs[((b * H + h) * T + t) * D + (d + D / 2) % D];
            float c = cs[(b * T + t) * D + d], s = ss[(b * T + t) * D + d];
            float want = d < D / 2 ? xv * c - partner * s : xv * c + partner * s;
            Assert.Equal(want, got[((b * H + h) * T + t) * D + d], 1e-4f);   // the kernel may fuse multiply-adds: a few ulps apart
        }
    }

    [Fact]
    public void SiluMul_OnSplitColumns_MatchesFloat64()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(23);
        var both = Tensor.Randn([2, 3, 20]);
        var parts = both.Split([10, 10], -1);
        var fast = Functional.SiluMul(parts[0], parts[1]);
        var reference = Functional.SiluMul(parts[0].To(DType.Float64), parts[1].To(DType.Float64));
        Assertions.Close(reference.D(), fast.To(DType.Float64).D(), Tol, "silu·up");
    }

    [Fact]
    public void AtInference_EachKernelIsOnePass_NoAtenMathRecorded()
    {
        using var scope = DisposeScope.Begin();
        var x = Tensor.Randn([2, 4, 1, 8]);
        var angles = Tensor.Randn([2, 1, 1, 8]);
        var k = Tensor.Randn([2, 2, 5, 8]);
        var ops = Assertions.OpsRecorded(() =>
        {
            using var noGrad = LibTorch.NoGrad();
            Functional.RmsNorm(x, Tensor.Ones([8]), 1e-6);
            Functional.Rope(x, angles, angles);
            Functional.SiluMul(x, x);
            Functional.ScaledDotProductAttention(x, k, k, causal: true);
        });
        foreach (var math in new[] { "aten::pow", "aten::rsqrt", "aten::cat", "aten::neg", "aten::silu", "aten::mul", "aten::bmm", "aten::softmax" })
            Assert.DoesNotContain(math, ops);
        Assert.Contains("aten::empty", ops);   // the profile did record: each kernel allocates its output
    }

    /// <summary>
    /// Under autograd, float32 RMSNorm (frozen weight) and rope run as custom functions with a loop each way: values and
    /// gradients equal the ATen path's in float64 (whose gradients the finite-difference tests cover); silu·up stays on ATen.
    /// </summary>
    [Fact]
    public void UnderAutograd_TheFloat32Loops_GiveTheAtenGradients()
    {
        using var scope = DisposeScope.Begin();
        LibTorch.ManualSeed(24);
        var wide = Tensor.Randn([2, 3, 5, 12]);
        var x = wide.Narrow(-1, 2, 8);                     // strided, as q and k are
        var cos = Tensor.Randn([2, 1, 5, 8]);
        var sin = Tensor.Randn([2, 1, 5, 8]);
        var w = Tensor.Randn([8]);
        var weights = Tensor.Randn([2, 3, 5, 8]);           // a loss that weighs every output differently
        (double[] Value, double[] Grad) Run(DType dtype, Func<Tensor, Tensor> f)
        {
            var input = x.To(dtype).Detach().RequiresGrad_();
            var y = f(input);
            (y * weights.To(dtype)).Sum().Backward();
            return (y.Detach().To(DType.Float64).D(), input.Grad!.To(DType.Float64).D());
        }
        foreach (var (name, f) in new (string, Func<Tensor, Tensor>)[]
        {
            ("rope", t => Functional.Rope(t, cos.To(t.DType), sin.To(t.DType))),
            ("rms norm", t => Functional.RmsNorm(t, w.To(t.DType), 1e-6)),
            ("silu·up", t => Functional.SiluMul(t, t * 0.5)),
            ("rope then norm", t => Functional.RmsNorm(Functional.Rope(t, cos.To(t.DType), sin.To(t.DType)), w.To(t.DType), 1e-6)),
        })
        {
            var fast = Run(DType.Float32, f);
            var reference = Run(DType.Float64, f);
            Assertions.Close(reference.Value, fast.Value, Tol, $"{name} value");
            Assertions.Close(reference.Grad, fast.Grad, 1e-4, $"{name} gradient");
        }
    }
}
