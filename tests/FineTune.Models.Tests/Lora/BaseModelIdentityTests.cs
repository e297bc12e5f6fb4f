using FineTune.Models.Checkpoints;
using FineTune.Models.Lora;
using FineTune.Models.Tests.Transformer;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Tests.Lora;

/// <summary>The base identity serving compares: the same weights match however stored; another architecture or other weights do not.</summary>
public class BaseModelIdentityTests
{
    private static string Folder(string name) => Path.Combine(Path.GetTempPath(), $"ft-base-{name}-{Guid.NewGuid():N}");

    private static void Save(string dir, ModelConfig config, ulong seed, DType dtype, long maxShardBytes = 5L << 30, bool roundThroughBf16 = false)
    {
        var weights = ModelInit.RandomWeights(config, seed);
        try
        {
            if (roundThroughBf16)
                foreach (var k in weights.Keys.ToList())
                {
                    using var half = weights[k].To(Device.Cpu, DType.BFloat16);
                    var widened = half.To(Device.Cpu, DType.Float32);
                    weights[k].Dispose();
                    weights[k] = widened;
                }
            ModelInit.Save(dir, config, weights, dtype, maxShardBytes);
        }
        finally { foreach (var t in weights.Values) t.Dispose(); }
    }

    [Fact]
    public void SameWeights_Match_AcrossDtypeWideningShardingAndName_OthersDiffer()
    {
        string bf16 = Folder("bf16"), widened = Folder("f32-sharded"), otherSeed = Folder("seed"), llama = Folder("llama");
        try
        {
            Save(bf16, ModelPresets.TinyQwen2, seed: 3, DType.BFloat16);
            Save(widened, ModelPresets.TinyQwen2, seed: 3, DType.Float32, maxShardBytes: 64 << 10, roundThroughBf16: true);
            Save(otherSeed, ModelPresets.TinyQwen2, seed: 4, DType.BFloat16);
            Save(llama, ModelPresets.TinyLlama, seed: 3, DType.BFloat16);
            Assert.True(Directory.GetFiles(widened, "*.safetensors").Length > 1, "precondition: the float32 copy is sharded");

            var a = BaseModelIdentity.Of(bf16, "qwen-a");
            var b = BaseModelIdentity.Of(widened);
            Assert.Equal("qwen2", a.ModelType);
            Assert.Equal(64, a.HiddenSize);
            Assert.Equal(64, a.Weights!.Length);
            Assert.Null(a.Difference(b));
            Assert.Contains("same architecture, different weights", a.Difference(BaseModelIdentity.Of(otherSeed)));
            Assert.Equal("qwen2, 2 layers, hidden 64, intermediate 128, heads 4/2, vocab 512 vs llama, 2 layers, hidden 64, intermediate 128, heads 4/2, vocab 512",
                a.Difference(BaseModelIdentity.Of(llama)));
        }
        finally
        {
            foreach (var d in new[] { bf16, widened, otherSeed, llama })
                if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
    }

    [Fact]
    public void AdapterSaveLoad_CarriesItsBase_AndASaveWithoutOneLeavesNoStaleFile()
    {
        var modelDir = TinyModels.Write("qwen2");
        var adapterDir = Folder("adapter");
        try
        {
            using var model = ModelLoader.Load(modelDir);
            using var adapter = LoraAdapter.Create(model, new LoraConfig { Rank = 2 });
            Assert.Null(adapter.BaseModel);
            adapter.BaseModel = BaseModelIdentity.Of(modelDir);
            adapter.Save(adapterDir);
            Assert.Equal(adapter.BaseModel, BaseModelIdentity.Read(adapterDir));
            using (var loaded = LoraAdapter.Load(adapterDir, model))
                Assert.Equal(adapter.BaseModel, loaded.BaseModel);

            adapter.BaseModel = null;
            adapter.Save(adapterDir);
            Assert.Null(BaseModelIdentity.Read(adapterDir));

            File.WriteAllText(Path.Combine(adapterDir, BaseModelIdentity.FileName), """{"name": "x"}""");
            var e = Assert.Throws<InvalidDataException>(() => BaseModelIdentity.Read(adapterDir));
            Assert.Contains("model_type is missing", e.Message);
        }
        finally
        {
            Directory.Delete(modelDir, recursive: true);
            if (Directory.Exists(adapterDir)) Directory.Delete(adapterDir, recursive: true);
        }
    }
}
