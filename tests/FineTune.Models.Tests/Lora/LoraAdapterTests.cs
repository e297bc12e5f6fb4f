using System.Text.Json;
using FineTune.Models.Lora;
using FineTune.Models.Tests.Transformer;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Tests.Lora;

public class LoraAdapterTests
{
    // The key set PEFT writes for a model, built from its naming rule and the architecture alone.
    private static SortedSet<string> ExpectedPeftKeys(int layers, string[] targets)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < layers; i++)
            foreach (var t in targets)
            {
                var module = t is "q_proj" or "k_proj" or "v_proj" or "o_proj" ? $"self_attn.{t}" : $"mlp.{t}";
                keys.Add($"base_model.model.model.layers.{i}.{module}.lora_A.weight");
                keys.Add($"base_model.model.model.layers.{i}.{module}.lora_B.weight");
            }
        return keys;
    }

    [Theory]
    [InlineData("qwen2")]
    [InlineData("llama")]
    public void Save_WritesPeftKeysShapesAndConfig(string family)
    {
        var dir = TinyModels.Write(family);
        var outDir = Path.Combine(dir, "adapter");
        try
        {
            using var model = ModelLoader.Load(dir);
            using var adapter = LoraAdapter.Create(model, new LoraConfig { Rank = 4, Alpha = 8 });
            adapter.Save(outDir);
            using var saved = FineTune.Models.Checkpoints.SafetensorsCheckpoint.Open(Path.Combine(outDir, LoraAdapter.WeightsFileName));
            var all = new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" };
            Assert.Equal(ExpectedPeftKeys(model.Config.NumHiddenLayers, all), new SortedSet<string>(saved.Names, StringComparer.Ordinal));
            var c = model.Config;
            Assert.Equal(new long[] { 4, c.HiddenSize }, saved["base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"].Shape);
            Assert.Equal(new long[] { c.KvProjSize, 4 }, saved["base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight"].Shape);
            Assert.Equal(new long[] { 4, c.IntermediateSize }, saved["base_model.model.model.layers.0.mlp.down_proj.lora_A.weight"].Shape);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "adapter_config.json")));
            Assert.Equal("LORA", json.RootElement.GetProperty("peft_type").GetString());
            Assert.Equal("CAUSAL_LM", json.RootElement.GetProperty("task_type").GetString());
            Assert.Equal(4, json.RootElement.GetProperty("r").GetInt32());
            Assert.Equal(8, json.RootElement.GetProperty("lora_alpha").GetDouble());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Create_InitializesAsPeft_AndSubsetTargets()
    {
        var dir = TinyModels.Write("llama");
        try
        {
            using var model = ModelLoader.Load(dir);
            using var adapter = LoraAdapter.Create(model, new LoraConfig { Rank = 8, TargetModules = LoraConfig.ParseTargets("q,v") });
            Assert.Equal(2 * model.Config.NumHiddenLayers, adapter.Modules.Count);
            var q = adapter.Modules["model.layers.0.self_attn.q_proj"];
            var bound = 1 / Math.Sqrt(model.Config.HiddenSize);
            var a = q.A.ToArray<float>();
            Assert.All(a, x => Assert.InRange(x, -bound, bound));
            Assert.True(a.Max() > bound * 0.8 && a.Min() < -bound * 0.8, "A should fill U(-1/sqrt(in), 1/sqrt(in))");
            Assert.All(q.B.ToArray<float>(), x => Assert.Equal(0f, x));
            Assert.True(q.A.RequiresGrad && q.B.RequiresGrad);
            Assert.Equal(2.0, q.Scaling);   // default alpha 16 / r 8
            Assert.Equal(16 / Math.Sqrt(8), new LoraConfig { Rank = 8, Alpha = 16, UseRsLora = true }.Scaling, 12);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void SaveLoad_RoundTrips_AndChangesLogitsExactlyAsMerged()
    {
        var dir = TinyModels.Write("qwen2");
        var adapterDir = Path.Combine(dir, "adapter");
        try
        {
            using var model = ModelLoader.Load(dir);
            using var ids = Tensor.From(new long[] { 1, 5, 9, 200, 3, 17 }, 1, 6);
            float[] Logits()
            {
                using var s = DisposeScope.Begin();
                using var g = LibTorch.NoGrad();
                return model.Forward(ids).ToArray<float>();
            }
            var baseLogits = Logits();
            using (var fresh = LoraAdapter.Create(model, new LoraConfig { Rank = 4, Alpha = 8 }))
            {
                fresh.AttachTo(model);
                Assert.Equal(baseLogits, Logits());   // B = 0: no change
                // give B values so the adapter matters, then save
                LibTorch.ManualSeed(3);
                using (LibTorch.NoGrad())
                    foreach (var m in fresh.Modules.Values)
                    {
                        using var r = Tensor.Randn(m.B.Shape).Mul(0.05);
                        m.B.CopyFrom(r);
                    }
                fresh.Save(adapterDir);
            }
            using var loaded = LoraAdapter.Load(adapterDir, model);
            loaded.AttachTo(model);
            var adapted = Logits();
            Assert.True(adapted.Zip(baseLogits).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "adapter should change logits");
            foreach (var lin in model.Linears()) lin.MergeAdapter();
            var merged = Logits();
            Assert.True(adapted.Zip(merged).Max(p => Math.Abs(p.First - p.Second)) < 1e-4, "merged logits must equal base + adapter");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Load_AdapterForOtherModel_FailsNamingShape()
    {
        var qwen = TinyModels.Write("qwen2");
        var other = Path.Combine(Path.GetTempPath(), $"ft-big-{Guid.NewGuid():N}");
        try
        {
            var cfg = TinyModels.Config("qwen2") with { HiddenSize = 32, NumAttentionHeads = 2, NumKeyValueHeads = 1 };
            var w = ModelInit.RandomWeights(cfg, 1);
            ModelInit.Save(other, cfg, w);
            foreach (var t in w.Values) t.Dispose();
            using var small = ModelLoader.Load(other);
            using (var a = LoraAdapter.Create(small, new LoraConfig()))
                a.Save(Path.Combine(other, "adapter"));
            using var model = ModelLoader.Load(qwen);
            var e = Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(Path.Combine(other, "adapter"), model));
            Assert.Contains("another base model", e.Message);
            Assert.Throws<FileNotFoundException>(() => LoraAdapter.Load(qwen, model));
        }
        finally
        {
            Directory.Delete(qwen, true);
            Directory.Delete(other, true);
        }
    }

    [Fact]
    public void Config_RejectsUnsupportedPeftFeatures()
    {
        Assert.Contains("use_dora", Assert.Throws<InvalidDataException>(() => LoraConfig.Parse("""{"peft_type":"LORA","r":8,"target_modules":["q_proj"],"use_dora":true}""")).Message);
        Assert.Contains("unknown LoRA target", Assert.Throws<ArgumentException>(() => LoraConfig.Parse("""{"peft_type":"LORA","r":8,"target_modules":["lm_head"]}""")).Message);
        var c = LoraConfig.Parse(new LoraConfig { Rank = 16, Alpha = 64, Dropout = 0.1 }.ToJson());
        Assert.Equal((16, 64.0, 0.1), (c.Rank, c.Alpha, c.Dropout));
    }
}
