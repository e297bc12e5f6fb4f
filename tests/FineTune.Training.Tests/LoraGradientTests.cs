using FineTune.Models.Lora;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Training.Tests;

/// <summary>LoRA gradients through the whole tiny model against central finite differences, in float64.</summary>
public class LoraGradientTests
{
    [Theory]
    [InlineData("qwen2")]
    [InlineData("llama")]
    public void LoraGradients_MatchFiniteDifferences(string family)
    {
        using var dir = new TempDir();
        var path = TestModels.Tiny(dir, family);
        using var model = ModelLoader.Load(path, dtype: DType.Float64);
        LibTorch.ManualSeed(4);
        using var adapter = LoraAdapter.Create(model, new LoraConfig { Rank = 4, Alpha = 8 }, DType.Float64);
        using (LibTorch.NoGrad())
            foreach (var m in adapter.Modules.Values)
            {
                using var r = Tensor.Randn(m.B.Shape, DType.Float64).Mul(0.1);
                m.B.CopyFrom(r);   // B = 0 would make every dL/dA zero
            }
        adapter.AttachTo(model);
        using var ids = Tensor.From(new long[] { 3, 77, 120, 5, 9, 300, 41, 8 }, 2, 4);
        using var targets = Tensor.From(new long[] { 77, 120, 5, -100, 300, 41, 8, 11 });
        double Loss()
        {
            using var s = DisposeScope.Begin();
            var logits = model.Forward(ids).View(8, -1);
            var loss = Functional.CrossEntropy(logits, targets);
            return loss.Item();
        }
        using (var s = DisposeScope.Begin())
            Functional.CrossEntropy(model.Forward(ids).View(8, -1), targets).Backward();

        var rng = new Random(1);
        var checkedModules = new[] { "model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.v_proj", "model.layers.0.mlp.down_proj", "model.layers.1.mlp.gate_proj" };
        foreach (var name in checkedModules)
            foreach (var t in new[] { adapter.Modules[name].A, adapter.Modules[name].B })
            {
                using var grad = t.Grad!;
                var g = grad.ToArray<double>();
                var values = t.ToArray<double>();
                for (int trial = 0; trial < 3; trial++)
                {
                    int i = rng.Next(values.Length);
                    const double eps = 1e-6;
                    double At(double v)
                    {
                        var copy = (double[])values.Clone();
                        copy[i] = v;
                        using var src = Tensor.From(copy, t.Shape);
                        using (LibTorch.NoGrad()) t.CopyFrom(src);
                        return Loss();
                    }
                    var fd = (At(values[i] + eps) - At(values[i] - eps)) / (2 * eps);
                    At(values[i]);
                    Assert.True(Math.Abs(fd - g[i]) <= 1e-6 + 1e-5 * Math.Abs(fd),
                        $"{family} {name} [{i}]: analytic {g[i]:E6}, finite difference {fd:E6}");
                }
            }
    }
}
