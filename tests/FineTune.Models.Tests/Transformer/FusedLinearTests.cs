using FineTune.Models.Checkpoints;
using FineTune.Models.Lora;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Tests.Transformer;

/// <summary>q/k/v and gate/up are one matmul each; every projection must still behave, save and adapt as its own layer.</summary>
public class FusedLinearTests
{
    // An adapter on q, v and up only (so fused groups mix parts with and without one), with B made non-zero.
    private static LoraAdapter PartialAdapter(DecoderModel model, double dropout = 0)
    {
        var adapter = LoraAdapter.Create(model, new LoraConfig { Rank = 4, Alpha = 8, Dropout = dropout, TargetModules = LoraConfig.ParseTargets("q,v,up") });
        using var rng = new RandomGenerator(5);
        using (LibTorch.NoGrad())
            foreach (var m in adapter.Modules.Values)
            {
                using var r = Tensor.Randn(m.B.Shape, generator: rng).Mul(0.1);
                m.B.CopyFrom(r);
            }
        adapter.AttachTo(model);
        return adapter;
    }

    private static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using var s = DisposeScope.Begin();
        return (float)(a - b).Abs().Max().Item();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FusedForward_EqualsEachProjectionAlone_WithAndWithoutGrad(bool grad)
    {
        var dir = TinyModels.Write("qwen2");
        try
        {
            using var model = ModelLoader.Load(dir);
            using var adapter = PartialAdapter(model);
            using var scope = DisposeScope.Begin();
            using var mode = grad ? LibTorch.EnableGrad() : LibTorch.NoGrad();
            using var rng = new RandomGenerator(9);
            var x = Tensor.Randn([2, 5, model.Config.HiddenSize], generator: rng);
            foreach (var fused in new[] { model.Layers[1].SelfAttn.QkvProj, model.Layers[1].Mlp.GateUpProj })
            {
                var y = fused.Forward(x);
                Assert.Equal(new[] { 2L, 5, fused.OutFeatures }, y.Shape);
                for (int i = 0; i < fused.Parts.Count; i++)
                {
                    var alone = fused.Parts[i].Forward(x);   // the part's own (unfused) path over its slice of the weight
                    Assert.True(MaxAbsDiff(fused.Slice(y, i), alone) < 1e-5, $"{fused.Parts[i].Name}: fused and alone differ");
                }
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void FusedBackward_GivesEachAdapterTheGradientOfItsOwnProjection()
    {
        var dir = TinyModels.Write("llama");
        try
        {
            using var model = ModelLoader.Load(dir);
            using var adapter = PartialAdapter(model);
            using var scope = DisposeScope.Begin();
            using var rng = new RandomGenerator(11);
            var fused = model.Layers[0].SelfAttn.QkvProj;
            var x = Tensor.Randn([3, 4, model.Config.HiddenSize], generator: rng);
            var w = Tensor.Randn([3, 4, fused.OutFeatures], generator: rng);
            Dictionary<string, float[]> Grads(Func<Tensor> forward)
            {
                foreach (var p in adapter.Parameters) p.ZeroGrad();
                (forward() * w).Sum().Backward();
                return adapter.Modules.Where(m => m.Key.Contains("layers.0.self_attn", StringComparison.Ordinal))
                    .SelectMany(m => new[] { (m.Key + ".A", m.Value.A), (m.Key + ".B", m.Value.B) })
                    .ToDictionary(p => p.Item1, p => p.Item2.Grad!.ToArray<float>());
            }
            var viaFused = Grads(() => fused.Forward(x));
            var viaParts = Grads(() => Tensor.Cat(fused.Parts.Select(p => p.Forward(x)).ToList(), -1));
            Assert.Equal(4, viaFused.Count);   // q and v, A and B each
            foreach (var (name, g) in viaParts)
            {
                Assert.True(g.Any(v => v != 0), $"{name}: no gradient");
                Assert.True(g.Zip(viaFused[name]).Max(p => Math.Abs(p.First - p.Second)) < 1e-4, $"{name}: gradients differ");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void NamedWeights_KeepTheCheckpointsSeparateProjections_AndSaveRoundTrips()
    {
        var dir = TinyModels.Write("qwen2");
        var copy = dir + "-copy";
        try
        {
            using var model = ModelLoader.Load(dir);
            var named = model.NamedWeights().ToDictionary(p => p.Name, p => p.Tensor);
            using (var original = SafetensorsCheckpoint.Open(dir))
            {
                Assert.Equal(original.Names.Order(StringComparer.Ordinal), named.Keys.Order(StringComparer.Ordinal));
                foreach (var name in new[] { "model.layers.1.self_attn.k_proj.weight", "model.layers.1.self_attn.v_proj.bias", "model.layers.0.mlp.up_proj.weight" })
                {
                    using var s = DisposeScope.Begin();
                    Assert.Equal(WeightIO.View(original[name]).ToArray<float>(), named[name].ToArray<float>());
                }
            }
            ModelInit.Save(copy, model.Config, named);
            using var reloaded = ModelLoader.Load(copy);
            using var scope = DisposeScope.Begin();
            using var noGrad = LibTorch.NoGrad();
            var ids = Tensor.From(new long[] { 3, 1, 4, 1, 5, 9 }, 1, 6);
            Assert.Equal(model.Forward(ids).ToArray<float>(), reloaded.Forward(ids).ToArray<float>());
        }
        finally
        {
            Directory.Delete(dir, true);
            if (Directory.Exists(copy)) Directory.Delete(copy, true);
        }
    }
}
