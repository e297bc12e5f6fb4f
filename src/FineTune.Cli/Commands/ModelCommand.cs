using FineTune.Torch;
using System.CommandLine;
using FineTune.Models.Checkpoints;
using FineTune.Models.Transformer;

namespace FineTune.Cli.Commands;

/// <summary>`finetune model init`: a random Hugging Face model folder, so tests and demos need no download.</summary>
public static class ModelCommand
{
    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = "qwen2 or llama.", Required = true };
        var preset = new Option<string>("--preset") { Description = "Size preset: tiny (hidden 64, 2 layers).", DefaultValueFactory = _ => "tiny" };
        var output = new Option<string>("--out") { Description = "Folder to write.", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Use this folder's tokenizer.json/tokenizer_config.json instead of the built-in 512-token BPE." };
        var seed = new Option<ulong>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 0 };
        var init = new Command("init", "Write a random HF-format checkpoint (config.json, model.safetensors, tokenizer) that transformers can load.")
            { arch, preset, output, tokenizer, seed };
        init.SetAction(pr =>
        {
            var family = pr.GetValue(arch)!.ToLowerInvariant();
            var size = pr.GetValue(preset)!.ToLowerInvariant();
            if (family is not ("qwen2" or "llama")) return Usage($"--arch must be qwen2 or llama, got '{family}'");
            if (size != "tiny") return Usage($"--preset must be tiny, got '{size}'");
            var config = family == "qwen2" ? ModelPresets.TinyQwen2 : ModelPresets.TinyLlama;
            LibTorch.ConfigureThreads();
            var dir = pr.GetValue(output)!;
            var written = ModelFolder.Create(dir, config, pr.GetValue(seed), pr.GetValue(tokenizer));
            Console.WriteLine($"wrote {written.ModelType} ({written.NumHiddenLayers} layers, hidden {written.HiddenSize}, vocab {written.VocabSize}) to {Path.GetFullPath(dir)}");
            return ExitCodes.Ok;
        });
        var model = new Command("model", "Model folders.") { init };
        return model;
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine($"finetune: {message}");
        return ExitCodes.Usage;
    }
}
