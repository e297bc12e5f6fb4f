using FineTune.Models.Checkpoints;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Tests.Transformer;

/// <summary>Tiny random checkpoints written to temp folders, as `finetune model init` does.</summary>
internal static class TinyModels
{
    public static ModelConfig Config(string family) => family switch
    {
        "qwen2" => ModelPresets.TinyQwen2,
        "llama" => ModelPresets.TinyLlama,
        _ => throw new ArgumentException(family),
    };

    /// <summary>Writes a checkpoint with every weight (norms and biases too) random, so parity covers them all.</summary>
    public static string Write(string family, ulong seed = 1, double std = 0.15)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"ft-model-{family}-{Guid.NewGuid():N}");
        var config = Config(family);
        var weights = ModelInit.RandomWeights(config, seed, std, perturb: true);
        try { ModelInit.Save(dir, config, weights); }
        finally { foreach (var t in weights.Values) t.Dispose(); }
        return dir;
    }
}
