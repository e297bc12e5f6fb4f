using FineTune.Models.Lora;

namespace FineTune.Training;

/// <summary>
/// Everything that shapes a LoRA run. Presets follow the hosted service the product mirrors; any field
/// overrides a preset. <see cref="Validate"/> rejects values outside the hosted ranges (lr in (0, 0.1],
/// epochs 1–10, batch 1–32, …) unless <c>expert</c> widens them.
/// </summary>
public sealed record Hyperparameters
{
    public double LearningRate { get; init; } = 1e-4;
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 8;
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Examples longer than this many tokens are truncated (and counted).</summary>
    public int MaxTokens { get; init; } = 1024;
    public double WarmupRatio { get; init; } = 0.05;
    /// <summary>linear, cosine or constant (after warmup).</summary>
    public string Scheduler { get; init; } = "linear";
    public double WeightDecay { get; init; }
    /// <summary>Gradient clipping by global norm; 0 turns it off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    public ulong Seed { get; init; } = 42;
    public int LoraRank { get; init; } = 8;
    public double LoraAlpha { get; init; } = 32;
    public double LoraDropout { get; init; } = 0.05;
    public IReadOnlyList<string> LoraTargets { get; init; } = LoraConfig.AllLinear;
    public bool UseRsLora { get; init; }
    /// <summary>Loss on prompt tokens too (default: assistant tokens only).</summary>
    public bool TrainOnPrompt { get; init; }
    /// <summary>Concatenate short examples into sequences of up to <see cref="MaxTokens"/>.</summary>
    public bool Packing { get; init; }

    public static IReadOnlyDictionary<string, Hyperparameters> Presets { get; } = new Dictionary<string, Hyperparameters>
    {
        ["standard"] = new() { LearningRate = 1e-4, Epochs = 3, BatchSize = 8, LoraRank = 8, LoraAlpha = 32, LoraDropout = 0.05 },
        ["quality"] = new() { LearningRate = 1e-4, Epochs = 5, BatchSize = 16, LoraRank = 16, LoraAlpha = 64, LoraDropout = 0.1 },
        ["fast"] = new() { LearningRate = 1e-4, Epochs = 2, BatchSize = 8, LoraRank = 4, LoraAlpha = 16, LoraDropout = 0.05 },
    };

    public static Hyperparameters Preset(string name) =>
        Presets.TryGetValue(name, out var p) ? p
        : throw new ArgumentException($"unknown preset '{name}' (known: {string.Join(", ", Presets.Keys)})", nameof(name));

    public LoraConfig ToLoraConfig(string? baseModel = null) => new()
    {
        Rank = LoraRank,
        Alpha = LoraAlpha,
        Dropout = LoraDropout,
        TargetModules = LoraTargets,
        UseRsLora = UseRsLora,
        BaseModelNameOrPath = baseModel,
    };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the field and its allowed range.</summary>
    public Hyperparameters Validate(bool expert = false)
    {
        Range("learning_rate", LearningRate, 0, expert ? 1.0 : 0.1, lowOpen: true);
        Range("epochs", Epochs, 1, expert ? 1000 : 10);
        Range("batch_size", BatchSize, 1, expert ? 1024 : 32);
        Range("gradient_accumulation", GradientAccumulation, 1, expert ? 1024 : 64);
        Range("max_tokens", MaxTokens, 8, expert ? 131072 : 32768);
        Range("warmup_ratio", WarmupRatio, 0, expert ? 1.0 : 0.5);
        Range("weight_decay", WeightDecay, 0, expert ? 10 : 1);
        Range("max_grad_norm", MaxGradNorm, 0, expert ? 1e6 : 100);
        Range("lora_rank", LoraRank, 1, expert ? 1024 : 256);
        Range("lora_alpha", LoraAlpha, 0, expert ? 1e5 : 1024, lowOpen: true);
        Range("lora_dropout", LoraDropout, 0, expert ? 0.9 : 0.5);
        if (Scheduler is not ("linear" or "cosine" or "constant"))
            throw new ArgumentOutOfRangeException("scheduler", Scheduler, "scheduler must be linear, cosine or constant");
        ToLoraConfig().Validate();
        return this;
    }

    private static void Range(string name, double value, double min, double max, bool lowOpen = false)
    {
        bool ok = (lowOpen ? value > min : value >= min) && value <= max && !double.IsNaN(value);
        if (!ok)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} must be in {(lowOpen ? "(" : "[")}{min}, {max}]{(max < 1000 ? " (--expert widens the range)" : "")}");
    }
}
