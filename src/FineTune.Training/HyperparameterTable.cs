using FineTune.Models.Lora;

namespace FineTune.Training;

/// <summary>
/// The 17 hyperparameters, each defined once: manifest/spec name, CLI option, kind, range or choices, help text, and the
/// <see cref="Hyperparameters"/> property it reads and writes (whose initializer is its default). The manifest parser
/// (<see cref="HyperparameterOverrides.Parse(System.Text.Json.JsonElement)"/>), the spec's JSON, `finetune train`'s
/// options, <see cref="Hyperparameters.Validate"/> and its messages, and the console's ranges all derive from <see cref="All"/>.
/// </summary>
public static class HyperparameterTable
{
    public static readonly HyperparameterDefinition<double> LearningRate = new("learning_rate", "--lr", HyperparameterKind.Number,
        "Learning rate", h => h.LearningRate, (h, v) => h with { LearningRate = v })
    { Range = new(0, 0.1, 1.0, MinExclusive: true), Aliases = ["lr"] };

    public static readonly HyperparameterDefinition<int> Epochs = new("epochs", "--epochs", HyperparameterKind.Integer,
        "Passes over the training data", h => h.Epochs, (h, v) => h with { Epochs = v })
    { Range = new(1, 10, 1000) };

    public static readonly HyperparameterDefinition<int> BatchSize = new("batch_size", "--batch-size", HyperparameterKind.Integer,
        "Examples per micro-batch", h => h.BatchSize, (h, v) => h with { BatchSize = v })
    { Range = new(1, 32, 1024), Aliases = ["batch"] };

    public static readonly HyperparameterDefinition<int> GradientAccumulation = new("gradient_accumulation", "--grad-accum", HyperparameterKind.Integer,
        "Micro-batches per optimizer step", h => h.GradientAccumulation, (h, v) => h with { GradientAccumulation = v })
    { Range = new(1, 64, 1024) };

    public static readonly HyperparameterDefinition<int> MaxTokens = new("max_tokens", "--max-tokens", HyperparameterKind.Integer,
        "Truncate examples to this many tokens (and count them)", h => h.MaxTokens, (h, v) => h with { MaxTokens = v })
    { Range = new(8, 32768, 131072) };

    public static readonly HyperparameterDefinition<double> WarmupRatio = new("warmup_ratio", "--warmup-ratio", HyperparameterKind.Number,
        "Share of steps spent warming up", h => h.WarmupRatio, (h, v) => h with { WarmupRatio = v })
    { Range = new(0, 0.5, 1.0) };

    public static readonly HyperparameterDefinition<string> Scheduler = new("scheduler", "--scheduler", HyperparameterKind.Choice,
        "Learning-rate schedule after warmup", h => h.Scheduler, (h, v) => h with { Scheduler = v })
    { Choices = ["linear", "cosine", "constant"] };

    public static readonly HyperparameterDefinition<double> WeightDecay = new("weight_decay", "--weight-decay", HyperparameterKind.Number,
        "AdamW weight decay", h => h.WeightDecay, (h, v) => h with { WeightDecay = v })
    { Range = new(0, 1, 10) };

    public static readonly HyperparameterDefinition<double> MaxGradNorm = new("max_grad_norm", "--max-grad-norm", HyperparameterKind.Number,
        "Clip gradients to this global norm (0 = off)", h => h.MaxGradNorm, (h, v) => h with { MaxGradNorm = v })
    { Range = new(0, 100, 1e6) };

    public static readonly HyperparameterDefinition<ulong> Seed = new("seed", "--seed", HyperparameterKind.Seed,
        "Random seed (data order, LoRA init, dropout)", h => h.Seed, (h, v) => h with { Seed = v });

    public static readonly HyperparameterDefinition<int> LoraRank = new("lora_rank", "--lora-rank", HyperparameterKind.Integer,
        "LoRA rank", h => h.LoraRank, (h, v) => h with { LoraRank = v })
    { Range = new(1, 256, 1024), Aliases = ["rank", "r", "lora_r"] };

    public static readonly HyperparameterDefinition<double> LoraAlpha = new("lora_alpha", "--lora-alpha", HyperparameterKind.Number,
        "LoRA alpha (scale alpha/r)", h => h.LoraAlpha, (h, v) => h with { LoraAlpha = v })
    { Range = new(0, 1024, 1e5, MinExclusive: true), Aliases = ["alpha"] };

    public static readonly HyperparameterDefinition<double> LoraDropout = new("lora_dropout", "--lora-dropout", HyperparameterKind.Number,
        "LoRA dropout", h => h.LoraDropout, (h, v) => h with { LoraDropout = v })
    { Range = new(0, 0.5, 0.9) };

    public static readonly HyperparameterDefinition<IReadOnlyList<string>> LoraTargets = new("lora_targets", "--lora-targets", HyperparameterKind.Targets,
        "Modules LoRA adapts: all-linear, or a list such as q,k,v,o", h => h.LoraTargets,
        (h, v) => h with { LoraTargets = LoraConfig.ParseTargets(string.Join(",", v)) })
    { Aliases = ["targets"] };

    public static readonly HyperparameterDefinition<bool> UseRsLora = new("use_rs_lora", "--rslora", HyperparameterKind.Flag,
        "Scale by alpha/√r (rsLoRA)", h => h.UseRsLora, (h, v) => h with { UseRsLora = v });

    public static readonly HyperparameterDefinition<bool> TrainOnPrompt = new("train_on_prompt", "--train-on-prompt", HyperparameterKind.Flag,
        "Also take loss on prompt tokens", h => h.TrainOnPrompt, (h, v) => h with { TrainOnPrompt = v });

    public static readonly HyperparameterDefinition<bool> Packing = new("packing", "--packing", HyperparameterKind.Flag,
        "Pack short examples into full-length sequences", h => h.Packing, (h, v) => h with { Packing = v });

    /// <summary>Every hyperparameter, in the order manifests, specs and help list them.</summary>
    public static IReadOnlyList<HyperparameterDefinition> All { get; } =
    [
        LearningRate, Epochs, BatchSize, GradientAccumulation, MaxTokens, WarmupRatio, Scheduler, WeightDecay, MaxGradNorm, Seed,
        LoraRank, LoraAlpha, LoraDropout, LoraTargets, UseRsLora, TrainOnPrompt, Packing,
    ];

    /// <summary>The definition a manifest key names (snake_case, camelCase, kebab-case or an alias), or null.</summary>
    public static HyperparameterDefinition? Find(string key) => All.FirstOrDefault(d => d.Matches(key));
}
