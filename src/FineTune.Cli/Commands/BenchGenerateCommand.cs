using FineTune.Torch;
using System.CommandLine;
using System.Text.Json.Nodes;
using FineTune.Models.Checkpoints;
using FineTune.Models.Generation;
using FineTune.Models.Transformer;
using FineTune.Training;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune bench generate`: prefill and decode tokens/s of greedy generation on a checkpoint, beside a
/// plain PyTorch eager greedy loop (Bench/torch_generate_ref.py) on the same checkpoint in the same run.
/// </summary>
public static class BenchGenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Checkpoint folder; default: a random one of --config, made in a temp folder." };
        var config = new Option<string>("--config") { Description = "When no --model: tiny-qwen2, tiny-llama, or the bench-train shapes tiny / small.", DefaultValueFactory = _ => "small" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 1 };
        var prompt = new Option<int>("--prompt") { Description = "Prompt tokens per sequence.", DefaultValueFactory = _ => 64 };
        var newTokens = new Option<int>("--new") { Description = "Tokens to generate per sequence.", DefaultValueFactory = _ => 64 };
        var threads = new Option<int?>("--threads");
        var python = new Option<string>("--python") { DefaultValueFactory = _ => "/usr/bin/python3" };
        var noReference = new Option<bool>("--no-reference");
        var cmd = new Command("generate", "Prefill and decode tokens/s, beside plain PyTorch eager on the same checkpoint.")
            { model, config, batch, prompt, newTokens, threads, python, noReference };
        cmd.SetAction(pr =>
        {
            int b = pr.GetValue(batch), p = pr.GetValue(prompt), n = pr.GetValue(newTokens);
            if (b < 1 || p < 1 || n < 2) { Console.Error.WriteLine("finetune: --batch and --prompt must be >= 1, --new >= 2"); return ExitCodes.Usage; }
            int t = LibTorch.ConfigureThreads(pr.GetValue(threads));
            string? temp = null;
            var dir = pr.GetValue(model);
            if (dir is null)
            {
                temp = dir = Path.Combine(Path.GetTempPath(), $"finetune-bench-{Guid.NewGuid():N}");
                var c = pr.GetValue(config) switch
                {
                    "tiny-qwen2" => ModelPresets.TinyQwen2,
                    "tiny-llama" => ModelPresets.TinyLlama,
                    "tiny" => TrainBenchConfig.Tiny.ToModelConfig(),
                    "small" => TrainBenchConfig.Small.ToModelConfig(),
                    var other => null,
                };
                if (c is null) { Console.Error.WriteLine($"finetune: unknown --config '{pr.GetValue(config)}'"); return ExitCodes.Usage; }
                var w = ModelInit.RandomWeights(c, 0);
                ModelInit.Save(dir, c with { MaxPositionEmbeddings = Math.Max(c.MaxPositionEmbeddings, p + n + 8) }, w);
                foreach (var x in w.Values) x.Dispose();
            }
            try
            {
                GenerationBenchResult ours;
                using (var m = ModelLoader.Load(dir))
                    ours = GenerationBenchmark.Run(m, b, p, n);
                Console.WriteLine($"finetune: prefill {ours.PrefillTokensPerSecond} tok/s, decode {ours.DecodeTokensPerSecond} tok/s");
                JsonNode? reference = null;
                string? error = null;
                if (!pr.GetValue(noReference))
                {
                    (reference, error) = PythonReference.Run(pr.GetValue(python)!,
                        [PythonReference.GenerateScript, dir, "--batch", $"{b}", "--prompt", $"{p}", "--new", $"{n}", "--threads", $"{t}"]);
                    if (reference is not null) Console.WriteLine($"pytorch-eager: prefill {reference["prefill_tokens_per_s"]} tok/s, decode {reference["decode_tokens_per_s"]} tok/s");
                    if (error is not null) Console.Error.WriteLine($"reference: {error}");
                }
                double? Ratio(string key, double ours) => reference?[key]?.GetValue<double>() is double r && r > 0 ? Math.Round(ours / r, 3) : null;
                Console.WriteLine(new JsonObject
                {
                    ["bench"] = "generate", ["model"] = pr.GetValue(model) ?? pr.GetValue(config), ["batch"] = b, ["prompt"] = p, ["new"] = n,
                    ["threads"] = t, ["prefill_tokens_per_s"] = ours.PrefillTokensPerSecond, ["decode_tokens_per_s"] = ours.DecodeTokensPerSecond,
                    ["reference"] = reference, ["reference_error"] = error,
                    ["prefill_ratio"] = Ratio("prefill_tokens_per_s", ours.PrefillTokensPerSecond),
                    ["decode_ratio"] = Ratio("decode_tokens_per_s", ours.DecodeTokensPerSecond),
                }.ToJsonString());
                return ExitCodes.Ok;
            }
            finally
            {
                if (temp is not null) Directory.Delete(temp, true);
            }
        });
        return cmd;
    }
}
