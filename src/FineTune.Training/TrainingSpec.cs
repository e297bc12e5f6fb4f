using System.Text.Json;
using FineTune.Training.Contract;

namespace FineTune.Training;

/// <summary>
/// A whole run in one JSON file: base model, data, hyperparameters, output. The same file starts the
/// run locally (`finetune train --spec FILE`) or in a container, and is copied into the output so every
/// checkpoint carries the spec that produced it. Relative paths resolve against the spec's folder. JSON through
/// <see cref="RunContractJson"/> (snake_case; an unknown field is an error).
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
    public string Preset { get; set; } = "standard";
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
    public bool SeedGlobalRng { get; set; } = true;
    /// <summary>Chat template override (chatml, qwen2.5, llama3, …); default detects from tokenizer_config.json.</summary>
    public string? ChatTemplate { get; init; }
    /// <summary>Metrics line every this many optimizer steps.</summary>
    public int LogEvery { get; set; } = 10;
    /// <summary>Stop after this many optimizer steps (tests and smoke runs); 0 = no limit.</summary>
    public int MaxSteps { get; init; }

    public Hyperparameters ResolveHyperparameters() =>
        (Hyperparameters?.ApplyTo(Training.Hyperparameters.Preset(Preset)) ?? Training.Hyperparameters.Preset(Preset)).Validate(Expert);

    public static TrainingSpec Load(string path)
    {
        var spec = RunContractJson.Read(File.ReadAllText(path), RunContractJson.Indented.TrainingSpec, path);
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

    public string ToJson() => JsonSerializer.Serialize(this, RunContractJson.Indented.TrainingSpec);
}
