using System.Text.Json;
using System.Text.Json.Serialization;

namespace FineTune.Training;

/// <summary>
/// A whole run in one JSON file: base model, data, hyperparameters, output. The same file starts the
/// run locally (`finetune train --spec FILE`) or in a container, and is copied into the output so every
/// checkpoint carries the spec that produced it. Relative paths resolve against the spec's folder.
/// </summary>
public sealed record TrainingSpec
{
    /// <summary>Hugging Face model folder (config.json, safetensors, tokenizer.json).</summary>
    public required string Model { get; init; }
    /// <summary>Training data: chat JSONL, alpaca or sharegpt (validated strictly before training).</summary>
    public required string Data { get; init; }
    /// <summary>Output folder: adapter/, checkpoints/, metrics.jsonl, result.json.</summary>
    public required string Output { get; init; }
    /// <summary>Validation data file; or a share of <see cref="Data"/> with <see cref="ValidationFraction"/> / <see cref="ValidationCount"/>.</summary>
    public string? ValidationData { get; init; }
    public double ValidationFraction { get; init; }
    public int ValidationCount { get; init; }
    public string Preset { get; init; } = "standard";
    /// <summary>Fields set here override the preset's.</summary>
    public HyperparameterOverrides? Hyperparameters { get; init; }
    public bool Expert { get; init; }
    /// <summary>cpu or cuda[:N]; default cuda when available.</summary>
    public string? Device { get; init; }
    /// <summary>
    /// CPU threads of the tensor math (libtorch and OpenBLAS), set for the whole process at setup; null leaves the
    /// process's setting alone (`finetune train` then uses FINETUNE_THREADS, else every core).
    /// </summary>
    public int? Threads { get; init; }
    /// <summary>
    /// Seeds libtorch's process-wide generator with the hyperparameters' seed at setup: LoRA's initial A and dropout
    /// draw from it and checkpoints save it, which makes a run reproducible and a resume exact. false leaves the
    /// generator as the caller set it (a process that also samples or trains something else, say).
    /// </summary>
    public bool SeedGlobalRng { get; init; } = true;
    /// <summary>Chat template override (chatml, qwen2.5, llama3, …); default detects from tokenizer_config.json.</summary>
    public string? ChatTemplate { get; init; }
    /// <summary>Metrics line every this many optimizer steps.</summary>
    public int LogEvery { get; init; } = 10;
    /// <summary>Stop after this many optimizer steps (tests and smoke runs); 0 = no limit.</summary>
    public int MaxSteps { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public Hyperparameters ResolveHyperparameters() =>
        (Hyperparameters?.ApplyTo(Training.Hyperparameters.Preset(Preset)) ?? Training.Hyperparameters.Preset(Preset)).Validate(Expert);

    public static TrainingSpec Load(string path)
    {
        TrainingSpec? spec;
        try { spec = JsonSerializer.Deserialize<TrainingSpec>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        if (spec is null) throw new InvalidDataException($"{path}: empty spec");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Abs(string p) => Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(dir, p));
        return spec with
        {
            Model = Abs(spec.Model),
            Data = Abs(spec.Data),
            Output = Abs(spec.Output),
            ValidationData = spec.ValidationData is null ? null : Abs(spec.ValidationData),
        };
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>The hyperparameters a spec sets explicitly; null fields keep the preset's.</summary>
public sealed record HyperparameterOverrides
{
    public double? LearningRate { get; init; }
    public int? Epochs { get; init; }
    public int? BatchSize { get; init; }
    public int? GradientAccumulation { get; init; }
    public int? MaxTokens { get; init; }
    public double? WarmupRatio { get; init; }
    public string? Scheduler { get; init; }
    public double? WeightDecay { get; init; }
    public double? MaxGradNorm { get; init; }
    public ulong? Seed { get; init; }
    public int? LoraRank { get; init; }
    public double? LoraAlpha { get; init; }
    public double? LoraDropout { get; init; }
    public IReadOnlyList<string>? LoraTargets { get; init; }
    public bool? UseRsLora { get; init; }
    public bool? TrainOnPrompt { get; init; }
    public bool? Packing { get; init; }

    public Hyperparameters ApplyTo(Hyperparameters p) => p with
    {
        LearningRate = LearningRate ?? p.LearningRate,
        Epochs = Epochs ?? p.Epochs,
        BatchSize = BatchSize ?? p.BatchSize,
        GradientAccumulation = GradientAccumulation ?? p.GradientAccumulation,
        MaxTokens = MaxTokens ?? p.MaxTokens,
        WarmupRatio = WarmupRatio ?? p.WarmupRatio,
        Scheduler = Scheduler ?? p.Scheduler,
        WeightDecay = WeightDecay ?? p.WeightDecay,
        MaxGradNorm = MaxGradNorm ?? p.MaxGradNorm,
        Seed = Seed ?? p.Seed,
        LoraRank = LoraRank ?? p.LoraRank,
        LoraAlpha = LoraAlpha ?? p.LoraAlpha,
        LoraDropout = LoraDropout ?? p.LoraDropout,
        LoraTargets = LoraTargets is null ? p.LoraTargets : Models.Lora.LoraConfig.ParseTargets(string.Join(",", LoraTargets)),
        UseRsLora = UseRsLora ?? p.UseRsLora,
        TrainOnPrompt = TrainOnPrompt ?? p.TrainOnPrompt,
        Packing = Packing ?? p.Packing,
    };
}
