using System.Diagnostics;
using FineTune.Models.Checkpoints;
using FineTune.Models.Lora;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Training;

/// <summary>The shapes of `finetune bench train` (the same flags as ../shared/bench/torch_lora_ref.py).</summary>
public sealed record TrainBenchConfig(string Name, int Hidden, int Layers, int Heads, int KvHeads, int Intermediate, int Vocab, int Seq, int Batch, int Rank, int Alpha = 16)
{
    public static readonly TrainBenchConfig Tiny = new("tiny", 256, 4, 8, 2, 688, 4096, 256, 4, 8);
    public static readonly TrainBenchConfig Small = new("small", 576, 6, 9, 3, 1536, 49152, 256, 2, 8);

    public static TrainBenchConfig Get(string name) => name switch
    {
        "tiny" => Tiny,
        "small" => Small,
        _ => throw new ArgumentException($"unknown bench config '{name}' (tiny, small)"),
    };

    /// <summary>The reference script's arguments for the same run.</summary>
    public IEnumerable<string> ReferenceArgs(int steps, int threads) =>
    [
        "--hidden", $"{Hidden}", "--layers", $"{Layers}", "--heads", $"{Heads}", "--kv-heads", $"{KvHeads}", "--inter", $"{Intermediate}",
        "--vocab", $"{Vocab}", "--seq", $"{Seq}", "--batch", $"{Batch}", "--rank", $"{Rank}", "--alpha", $"{Alpha}", "--steps", $"{steps}", "--threads", $"{threads}",
    ];

    /// <summary>A Qwen2-shaped config (q/k/v bias, rope θ 1e6, untied head), as the reference builds.</summary>
    public ModelConfig ToModelConfig() => new ModelConfig
    {
        Family = ModelFamily.Qwen2, VocabSize = Vocab, HiddenSize = Hidden, NumHiddenLayers = Layers, NumAttentionHeads = Heads,
        NumKeyValueHeads = KvHeads, IntermediateSize = Intermediate, RmsNormEps = 1e-6, RopeTheta = 1_000_000, MaxPositionEmbeddings = Math.Max(Seq, 512),
        TieWordEmbeddings = false, QkvBias = true,
    }.Validate();
}

public sealed record TrainBenchResult(string Impl, double TokensPerSecond, double StepMs, long Trainable, double Loss, int Threads);

/// <summary>
/// One LoRA training step exactly as <see cref="LoraTrainer"/> takes it (forward, loss over every position,
/// backward, clip, AdamW), on random weights and ids, timed as the median of <c>steps</c> after <c>warmup</c>.
/// </summary>
public static class TrainStepBenchmark
{
    public static TrainBenchResult Run(TrainBenchConfig c, int steps, int warmup = 2, Device? device = null)
    {
        var dev = device ?? Device.Cpu;
        var config = c.ToModelConfig();
        var weights = ModelInit.RandomWeights(config, 0);
        using var model = ModelLoader.FromTensors(config, weights, dev);
        foreach (var t in weights.Values) t.Dispose();
        using var rng = new RandomGenerator(0);   // its own generator: libtorch's process-wide one is left alone
        using var adapter = LoraAdapter.Create(model, new LoraConfig { Rank = c.Rank, Alpha = c.Alpha }, generator: rng);
        adapter.AttachTo(model);
        using var optimizer = new AdamW(adapter.Parameters, 1e-4);
        using var all = Tensor.RandInt(0, c.Vocab, [c.Batch, c.Seq + 1], generator: rng);
        using var inputs = all.Narrow(1, 0, c.Seq).Contiguous().To(dev);
        using var targets = all.Narrow(1, 1, c.Seq).Contiguous().Reshape(-1).To(dev);
        var times = new List<double>();
        double loss = 0;
        for (int step = 0; step < warmup + steps; step++)
        {
            var sw = Stopwatch.StartNew();
            using (var scope = DisposeScope.Begin())
            {
                var hidden = model.Hidden(inputs);
                var logits = model.LmHeadForward(hidden.View(-1, c.Hidden));
                var l = Functional.CrossEntropy(logits.DType == DType.Float32 ? logits : logits.To(DType.Float32), targets);
                l.Backward();
                LibTorch.ClipGradNorm(optimizer.Parameters, 1.0);
                optimizer.Step();
                optimizer.ZeroGrad();
                loss = l.Item();
            }
            if (dev.IsCuda) LibTorch.CudaSynchronize(dev.Index);
            if (step >= warmup) times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        var median = times[times.Count / 2];
        long trainable = adapter.Parameters.Sum(p => p.NumEl);
        return new TrainBenchResult("finetune", Math.Round(c.Batch * c.Seq / median, 1), Math.Round(median * 1000, 1), trainable, Math.Round(loss, 4), LibTorch.Threads);
    }
}
