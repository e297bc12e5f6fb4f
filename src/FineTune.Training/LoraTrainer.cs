// The LoRA training recipe (torchtune style: setup → train → save_checkpoint → cleanup), one class.
// Loss is token-weighted: each optimizer step minimises the mean cross entropy over every trained
// token of its micro-batches, so batch 8 equals batch 4 × accumulation 2. Logits are computed only at
// trained positions, so long prompts cost no vocabulary projection, and a chunk of rows at a time (ChunkedLoss).
using System.Diagnostics;
using System.Text.Json;
using FineTune.Data;
using FineTune.Models.Chat;
using FineTune.Models.Lora;
using FineTune.Models.Tokenization;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Training;

public sealed class LoraTrainer : IDisposable
{
    private readonly TrainingSpec _spec;
    private readonly Hyperparameters _h;
    private readonly Action<object>? _onEvent;
    private readonly string _specJson;
    private DecoderModel? _model;
    private LoraAdapter? _adapter;
    private AdamW? _optimizer;
    private List<EncodedExample> _train = [];
    private List<EncodedExample> _validation = [];
    private ExampleEncoder? _encoder;
    private ChatTemplate? _template;
    private Device _device;
    private int _examples, _validationExamples;

    /// <param name="onEvent">Receives each <see cref="StepMetrics"/>, <see cref="EpochMetrics"/> and the final <see cref="TrainingResult"/>.</param>
    public LoraTrainer(TrainingSpec spec, Action<object>? onEvent = null)
    {
        _spec = spec;
        _h = spec.ResolveHyperparameters();
        _onEvent = onEvent;
        _specJson = (spec with { Hyperparameters = HyperparametersAsOverrides(_h) }).ToJson();
    }

    public Hyperparameters Hyperparameters => _h;
    public string? ChatTemplateChoice => _template?.Choice.ToString();

    // ---- setup --------------------------------------------------------------------------------
    public async Task SetupAsync(CancellationToken ct = default)
    {
        if (_spec.Threads is int threads) LibTorch.Threads = threads;   // process-wide, so only when the spec asks
        _device = _spec.Device is { } d ? Device.Parse(d) : LibTorch.CudaAvailable ? Device.Cuda() : Device.Cpu;
        var tokenizer = Tokenizer.Load(_spec.Model);
        _template = ChatTemplate.ForTokenizer(tokenizer, _spec.ChatTemplate);

        var all = await TrainingData.LoadAsync(_spec.Data, ct);
        List<ChatExample> train = all, val = [];
        if (_spec.ValidationData is { } vpath) val = await TrainingData.LoadAsync(vpath, ct);
        else if (_spec.ValidationFraction > 0 || _spec.ValidationCount > 0) (train, val) = TrainingData.Split(all, _spec.ValidationFraction, _spec.ValidationCount);
        _examples = train.Count;
        _validationExamples = val.Count;

        _encoder = new ExampleEncoder(_template, _h.MaxTokens, _h.TrainOnPrompt);
        _train = _encoder.EncodeAll(train);
        _validation = new ExampleEncoder(_template, _h.MaxTokens, _h.TrainOnPrompt).EncodeAll(val);
        if (_train.Count == 0) throw new InvalidDataException("no example has a trainable token after truncation; raise max_tokens");
        if (_h.Packing) _train = Batching.Pack(_train, _h.MaxTokens, _h.Seed);

        _model = ModelLoader.Load(_spec.Model, _device);
        if (_spec.SeedGlobalRng) LibTorch.ManualSeed(_h.Seed);          // process-wide: see TrainingSpec.SeedGlobalRng
        _adapter = LoraAdapter.Create(_model, _h.ToLoraConfig(_spec.Model));
        _adapter.BaseModel = BaseModelIdentity.Of(_spec.Model); // saved beside every adapter: serving refuses it on another base
        _adapter.AttachTo(_model);
        _optimizer = new AdamW(_adapter.Parameters, _h.LearningRate, weightDecay: _h.WeightDecay);
    }

    // ---- train --------------------------------------------------------------------------------
    public TrainingResult Train(bool resume = false, CancellationToken ct = default)
    {
        if (_model is null || _adapter is null || _optimizer is null) throw new InvalidOperationException("call SetupAsync first");
        Directory.CreateDirectory(_spec.Output);
        File.WriteAllText(Path.Combine(_spec.Output, "training_spec.json"), _specJson);
        var lengths = _train.Select(e => e.Length).ToList();
        int batchesPerEpoch = (int)Math.Ceiling(_train.Count / (double)_h.BatchSize);
        int stepsPerEpoch = (int)Math.Ceiling(batchesPerEpoch / (double)_h.GradientAccumulation);
        int totalSteps = stepsPerEpoch * _h.Epochs;
        if (_spec.MaxSteps > 0) totalSteps = Math.Min(totalSteps, _spec.MaxSteps);
        var schedule = LrSchedule.Create(_h, stepsPerEpoch * _h.Epochs);

        var state = new TrainerState(0, 0, 0, 0, 0, 0, double.NaN, []);
        if (resume && TrainingCheckpoint.Latest(_spec.Output) is int last)
            state = TrainingCheckpoint.Restore(_spec.Output, last, _model, _adapter, _optimizer);
        var checkpoints = state.History.Select(h => h.Checkpoint).ToList();
        var clock = Stopwatch.StartNew();
        double elapsedBefore = state.ElapsedSeconds;
        int step = state.Step;
        long tokens = state.Tokens, labelTokens = state.LabelTokens;
        double lastLoss = state.LastLoss;
        var metrics = new MetricsLog(Path.Combine(_spec.Output, "metrics.jsonl"), append: resume);

        for (int epoch = state.Epoch + 1; epoch <= _h.Epochs && step < totalSteps; epoch++)
        {
            _model.SetTraining(true);
            var batches = Batching.EpochBatches(lengths, _h.BatchSize, _h.Seed, epoch);
            double epochLossSum = 0;
            long epochLossTokens = 0;
            long intervalTokens = 0;
            var interval = Stopwatch.StartNew();
            for (int b = 0; b < batches.Count && step < totalSteps; b += _h.GradientAccumulation)
            {
                ct.ThrowIfCancellationRequested();
                var window = batches.Skip(b).Take(_h.GradientAccumulation).ToList();
                int windowLabels = window.Sum(w => w.Sum(i => _train[i].TrainedTokens));
                double lossSum = 0;
                foreach (var micro in window)
                {
                    using var scope = DisposeScope.Begin();
                    var (ids, positions, targets, real) = Collate(micro);
                    var loss = LossSum(ids, positions, targets);
                    (loss / windowLabels).Backward();
                    lossSum += loss.Item();
                    tokens += real;
                    intervalTokens += real;
                }
                _optimizer.LearningRate = schedule.At(step);
                double gradNorm = LibTorch.ClipGradNorm(_optimizer.Parameters, _h.MaxGradNorm);
                _optimizer.Step();
                _optimizer.ZeroGrad();
                step++;
                labelTokens += windowLabels;
                lastLoss = lossSum / windowLabels;
                epochLossSum += lossSum;
                epochLossTokens += windowLabels;
                if (step % Math.Max(1, _spec.LogEvery) == 0 || step == totalSteps)
                {
                    var m = new StepMetrics("step", step, totalSteps, epoch - 1 + Math.Min(1.0, (b + window.Count) / (double)batches.Count),
                        Math.Round(lastLoss, 6), _optimizer.LearningRate, Math.Round(gradNorm, 6),
                        Math.Round(intervalTokens / interval.Elapsed.TotalSeconds, 1), tokens,
                        Math.Round(elapsedBefore + clock.Elapsed.TotalSeconds, 3), PeakMemory());
                    metrics.Write(m);
                    _onEvent?.Invoke(m);
                    intervalTokens = 0;
                    interval.Restart();
                }
            }
            var valLoss = _validation.Count > 0 ? Evaluate(_validation) : (double?)null;
            var epochMetrics = new EpochMetrics("epoch", epoch, step, Math.Round(epochLossSum / Math.Max(1, epochLossTokens), 6),
                valLoss is null ? null : Math.Round(valLoss.Value, 6), TrainingCheckpoint.Folder(_spec.Output, epoch),
                Math.Round(elapsedBefore + clock.Elapsed.TotalSeconds, 3));
            state = new TrainerState(epoch, step, _optimizer.StepCount, tokens, labelTokens, epochMetrics.ElapsedSeconds, lastLoss,
                state.History.Append(epochMetrics).ToList());
            var path = TrainingCheckpoint.Save(_spec.Output, epoch, _adapter, _optimizer, state, _specJson);
            checkpoints.Add(path);
            metrics.Write(epochMetrics);
            _onEvent?.Invoke(epochMetrics);
        }

        var adapterDir = Path.Combine(_spec.Output, "adapter");
        _adapter.Save(adapterDir);
        var lastEpoch = state.History.LastOrDefault();
        var result = new TrainingResult("completed", lastEpoch?.TrainLoss, lastEpoch?.ValidationLoss, tokens, labelTokens,
            step, state.History.Count, Math.Round(elapsedBefore + clock.Elapsed.TotalSeconds, 3), adapterDir, checkpoints,
            _examples, _validationExamples, _encoder!.Truncated, _encoder.Skipped, _template!.Choice.ToString(), _device.ToString(), state.History);
        File.WriteAllText(Path.Combine(_spec.Output, "result.json"), JsonSerializer.Serialize(result, TrainingSpec.Json));
        metrics.Dispose();
        _onEvent?.Invoke(result);
        return result;
    }

    /// <summary>Mean loss per trained token over the examples, dropout off, no gradients.</summary>
    public double Evaluate(IReadOnlyList<EncodedExample> examples)
    {
        _model!.SetTraining(false);
        using var noGrad = LibTorch.NoGrad();
        double sum = 0;
        long count = 0;
        for (int i = 0; i < examples.Count; i += _h.BatchSize)
        {
            using var scope = DisposeScope.Begin();
            var batch = examples.Skip(i).Take(_h.BatchSize).ToList();
            var (ids, positions, targets, _) = Collate(batch);
            sum += LossSum(ids, positions, targets).Item();
            count += batch.Sum(e => e.TrainedTokens);
        }
        _model.SetTraining(true);
        return sum / Math.Max(1, count);
    }

    // Summed cross entropy over the trained positions of a batch.
    private Tensor LossSum(Tensor ids, Tensor positions, Tensor targets)
    {
        var hidden = _model!.Hidden(ids);                                       // (B, T, C)
        var picked = hidden.View(-1, hidden.Size(-1)).IndexSelect(0, positions); // (N, C)
        return ChunkedLoss.CrossEntropySum(_model, picked, targets);             // (N, V) logits a chunk at a time
    }

    private (Tensor Ids, Tensor Positions, Tensor Targets, long RealTokens) Collate(IReadOnlyList<int> batch) =>
        Collate(batch.Select(i => _train[i]).ToList());

    // Right-padded ids (B, T); the flat indices and targets of trained positions.
    private (Tensor Ids, Tensor Positions, Tensor Targets, long RealTokens) Collate(IReadOnlyList<EncodedExample> batch)
    {
        int B = batch.Count, T = batch.Max(e => e.Length);
        var ids = new long[B * T];
        var positions = new List<long>();
        var targets = new List<long>();
        long real = 0;
        for (int b = 0; b < B; b++)
        {
            var e = batch[b];
            for (int t = 0; t < e.Length; t++)
            {
                ids[b * T + t] = e.Inputs[t];
                if (e.Labels[t] != EncodedExample.IgnoreIndex)
                {
                    positions.Add(b * T + t);
                    targets.Add(e.Labels[t]);
                }
            }
            real += e.Length;
        }
        return (Tensor.From(ids, B, T).To(_device), Tensor.From(positions.ToArray()).To(_device), Tensor.From(targets.ToArray()).To(_device), real);
    }

    private long PeakMemory() => _device.IsCuda ? LibTorch.CudaPeakBytes(_device.Index) : Process.GetCurrentProcess().PeakWorkingSet64;

    private static HyperparameterOverrides HyperparametersAsOverrides(Hyperparameters h) => new()
    {
        LearningRate = h.LearningRate, Epochs = h.Epochs, BatchSize = h.BatchSize, GradientAccumulation = h.GradientAccumulation,
        MaxTokens = h.MaxTokens, WarmupRatio = h.WarmupRatio, Scheduler = h.Scheduler, WeightDecay = h.WeightDecay,
        MaxGradNorm = h.MaxGradNorm, Seed = h.Seed, LoraRank = h.LoraRank, LoraAlpha = h.LoraAlpha, LoraDropout = h.LoraDropout,
        LoraTargets = h.LoraTargets, UseRsLora = h.UseRsLora, TrainOnPrompt = h.TrainOnPrompt, Packing = h.Packing,
    };

    // ---- cleanup ------------------------------------------------------------------------------
    public void Dispose()
    {
        _optimizer?.Dispose();
        if (_model is not null) LoraAdapter.RemoveFrom(_model);
        _adapter?.Dispose();
        _model?.Dispose();
    }
}
