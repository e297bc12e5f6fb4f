using System.Diagnostics;
using FineTune.Models.Checkpoints;
using FineTune.Models.Lora;
using FineTune.Models.Transformer;
using FineTune.Torch;
using FineTune.Training;

namespace FineTune.Cli.Bench;

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

/// <summary>One repetition: the median step of its timed steps.</summary>
public sealed record TrainBenchResult(double TokensPerSecond, double StepMs, double Loss);

/// <summary>
/// One LoRA training step as <see cref="LoraTrainer"/> takes it (forward, loss over every position through the
/// trainer's chunked loss, backward, clip, AdamW), on random weights and ids. The model and adapter are built once;
/// each <see cref="Measure"/> is a repetition: <c>warmup</c> untimed steps, then the median of <c>steps</c>.
/// </summary>
public sealed class TrainStepBenchmark : IDisposable
{
    private readonly TrainBenchConfig _c;
    private readonly Device _device;
    private readonly DecoderModel _model;
    private readonly RandomGenerator _rng;
    private readonly LoraAdapter _adapter;
    private readonly AdamW _optimizer;
    private readonly Tensor _inputs, _targets;

    public TrainStepBenchmark(TrainBenchConfig c, Device? device = null)
    {
        _c = c;
        _device = device ?? Device.Cpu;
        var config = c.ToModelConfig();
        var weights = ModelInit.RandomWeights(config, 0);
        _model = ModelLoader.FromTensors(config, weights, _device);
        foreach (var t in weights.Values) t.Dispose();
        _rng = new RandomGenerator(0);   // its own generator: libtorch's process-wide one is left alone
        _adapter = LoraAdapter.Create(_model, new LoraConfig { Rank = c.Rank, Alpha = c.Alpha }, generator: _rng);
        _adapter.AttachTo(_model);
        _optimizer = new AdamW(_adapter.Parameters, 1e-4);
        using var scope = DisposeScope.Begin();
        var all = Tensor.RandInt(0, c.Vocab, [c.Batch, c.Seq + 1], generator: _rng);
        _inputs = DisposeScope.Escape(all.Narrow(1, 0, c.Seq).Contiguous().To(_device));
        _targets = DisposeScope.Escape(all.Narrow(1, 1, c.Seq).Contiguous().Reshape(-1).To(_device));
    }

    public long Trainable => _adapter.Parameters.Sum(p => p.NumEl);

    public TrainBenchResult Measure(int steps, int warmup = 2)
    {
        var times = new List<double>();
        double loss = 0;
        for (int step = 0; step < warmup + steps; step++)
        {
            var sw = Stopwatch.StartNew();
            using (DisposeScope.Begin())
            {
                var hidden = _model.Hidden(_inputs);
                var l = ChunkedLoss.CrossEntropySum(_model, hidden.View(-1, _c.Hidden), _targets);
                l.Backward();
                LibTorch.ClipGradNorm(_optimizer.Parameters, 1.0);
                _optimizer.Step();
                _optimizer.ZeroGrad();
                loss = l.Item() / _targets.NumEl;
            }
            if (_device.IsCuda) LibTorch.CudaSynchronize(_device.Index);
            if (step >= warmup) times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        var median = times[times.Count / 2];
        return new TrainBenchResult(Math.Round(_c.Batch * _c.Seq / median, 1), Math.Round(median * 1000, 1), Math.Round(loss, 4));
    }

    public void Dispose()
    {
        _inputs.Dispose();
        _targets.Dispose();
        _optimizer.Dispose();
        LoraAdapter.RemoveFrom(_model);
        _adapter.Dispose();
        _rng.Dispose();
        _model.Dispose();
    }
}
