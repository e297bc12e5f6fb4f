using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Tests.Transformer;

/// <summary>Runs alone: it reads libtorch's process-wide generator, which other tests draw from.</summary>
[CollectionDefinition(nameof(ModelInitTests), DisableParallelization = true)]
public class ModelInitCollection;

[Collection(nameof(ModelInitTests))]
public class ModelInitTests
{
    [Fact]
    public void RandomWeights_SameSeedSameWeights_AndTheProcessWideGeneratorIsLeftAlone()
    {
        LibTorch.ManualSeed(1234);
        using var before = LibTorch.GetRngState();
        var a = ModelInit.RandomWeights(TinyModels.Config("llama"), seed: 5, perturb: true);
        var b = ModelInit.RandomWeights(TinyModels.Config("llama"), seed: 5, perturb: true);
        using var after = LibTorch.GetRngState();
        try
        {
            Assert.Equal(before.ToArray<byte>(), after.ToArray<byte>());
            foreach (var (name, t) in a)
                Assert.Equal(t.ToArray<float>(), b[name].ToArray<float>());
            // The same draws as the process-wide generator makes after ManualSeed(seed): checkpoints made before stay valid.
            LibTorch.ManualSeed(5);
            using var first = Tensor.Randn(a["model.embed_tokens.weight"].Shape).MulInPlace(0.02);
            Assert.Equal(first.ToArray<float>(), a["model.embed_tokens.weight"].ToArray<float>());
        }
        finally
        {
            foreach (var t in a.Values.Concat(b.Values)) t.Dispose();
        }
    }
}
