using System.Globalization;
using FineTune.Torch;

namespace FineTune.Torch.Tests;

/// <summary>AdamW on a known quadratic, against PyTorch's documented update rule and against PyTorch itself.</summary>
public class AdamWTests
{
    private static readonly double[] Start = { 1.0, -2.0, 0.5 };
    private static readonly double[] Target = { 0.0, 1.0, 2.0 };
    private const double Lr = 0.1, B1 = 0.9, B2 = 0.999, Eps = 1e-8, Wd = 0.05;
    private const int Steps = 6;

    // f(p) = Σ (p - target)², gradient 2 (p - target).
    private static double[] RunOurs()
    {
        using var p = Tensor.From((double[])Start.Clone()).RequiresGrad_();
        using var target = Tensor.From(Target);
        using var opt = new AdamW([p], Lr, B1, B2, Eps, Wd);
        for (int s = 0; s < Steps; s++)
        {
            using var scope = DisposeScope.Begin();
            opt.ZeroGrad();
            (p - target).Square().Sum().Backward();
            opt.Step();
        }
        return p.D();
    }

    [Fact]
    public void Step_MatchesTorchDocumentedRule()
    {
        var p = (double[])Start.Clone();
        var m = new double[3];
        var v = new double[3];
        for (int t = 1; t <= Steps; t++)
            for (int i = 0; i < 3; i++)
            {
                var g = 2 * (p[i] - Target[i]);
                p[i] *= 1 - Lr * Wd;
                m[i] = B1 * m[i] + (1 - B1) * g;
                v[i] = B2 * v[i] + (1 - B2) * g * g;
                var mHat = m[i] / (1 - Math.Pow(B1, t));
                var denom = Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(B2, t)) + Eps;
                p[i] -= Lr * mHat / denom;
            }
        Assertions.Close(p, RunOurs(), 1e-6, "params");
    }

    [Fact]
    public void Step_MatchesPyTorchAdamW()
    {
        string L(double[] a) => "[" + string.Join(",", a.Select(x => x.ToString("R", CultureInfo.InvariantCulture))) + "]";
        var script = $$"""
            import torch
            p = torch.tensor({{L(Start)}}, dtype=torch.float64, requires_grad=True)
            t = torch.tensor({{L(Target)}}, dtype=torch.float64)
            opt = torch.optim.AdamW([p], lr={{Lr}}, betas=({{B1}}, {{B2}}), eps={{Eps}}, weight_decay={{Wd}})
            for _ in range({{Steps}}):
                opt.zero_grad()
                ((p - t) ** 2).sum().backward()
                opt.step()
            print(" ".join(repr(x) for x in p.tolist()))
            """;
        var torchParams = PythonTorch.Run(script).Trim().Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Assertions.Close(torchParams, RunOurs(), 1e-6, "params vs torch");
    }

    [Fact]
    public void State_ExportImport_ContinuesIdentically()
    {
        // 3 steps, save, 3 more; versus restoring the save into a fresh optimizer and taking 3 steps.
        using var target = Tensor.From(Target);
        using var p = Tensor.From((double[])Start.Clone()).RequiresGrad_();
        using var opt = new AdamW([p], Lr, B1, B2, Eps, Wd);
        void Step(AdamW o, Tensor param)
        {
            using var scope = DisposeScope.Begin();
            o.ZeroGrad();
            (param - target).Square().Sum().Backward();
            o.Step();
        }
        for (int i = 0; i < 3; i++) Step(opt, p);
        var saved = opt.ExportState().ToDictionary(x => x.Name, x => x.Tensor.Clone());
        var savedParam = p.D();
        var savedStep = opt.StepCount;
        for (int i = 0; i < 3; i++) Step(opt, p);

        using var p2 = Tensor.From(savedParam).RequiresGrad_();
        using var opt2 = new AdamW([p2], Lr, B1, B2, Eps, Wd);
        opt2.ImportState(saved, savedStep);
        for (int i = 0; i < 3; i++) Step(opt2, p2);
        Assert.Equal(p.D(), p2.D());
        foreach (var t in saved.Values) t.Dispose();
    }
}
