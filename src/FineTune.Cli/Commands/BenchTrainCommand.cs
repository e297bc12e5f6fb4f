using FineTune.Torch;
using System.CommandLine;
using System.Text.Json.Nodes;
using FineTune.Training;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune bench train --config tiny|small`: tokens/s of our LoRA training step, and of the plain PyTorch
/// eager reference (../shared/bench/torch_lora_ref.py, same libtorch family, same flags) run in the same
/// invocation, with the ratio. Last line: one JSON object.
/// </summary>
public static class BenchTrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "tiny or small.", DefaultValueFactory = _ => "tiny" };
        var steps = new Option<int>("--steps") { Description = "Timed steps (median reported).", DefaultValueFactory = _ => 10 };
        var threads = new Option<int?>("--threads") { Description = "Threads for both (default: every core)." };
        var reference = new Option<string?>("--reference") { Description = "Path of torch_lora_ref.py (default: ../shared/bench/ beside the repository)." };
        var python = new Option<string>("--python") { Description = "Python with torch for the reference.", DefaultValueFactory = _ => "/usr/bin/python3" };
        var noReference = new Option<bool>("--no-reference") { Description = "Only our engine." };
        var cmd = new Command("train", "Tokens/s of a LoRA training step, beside plain PyTorch eager on the same config.")
            { config, steps, threads, reference, python, noReference };
        cmd.SetAction(pr =>
        {
            TrainBenchConfig c;
            try { c = TrainBenchConfig.Get(pr.GetValue(config)!); }
            catch (ArgumentException e) { Console.Error.WriteLine($"finetune: {e.Message}"); return ExitCodes.Usage; }
            int n = Math.Max(1, pr.GetValue(steps));
            int t = LibTorch.ConfigureThreads(pr.GetValue(threads));
            var ours = TrainStepBenchmark.Run(c, n);
            Console.WriteLine($"finetune: {ours.TokensPerSecond} tokens/s ({ours.StepMs} ms/step, {t} threads)");
            JsonNode? refResult = null;
            string? refError = null;
            if (!pr.GetValue(noReference))
            {
                var script = pr.GetValue(reference) ?? FindReference();
                if (script is null || !File.Exists(script)) refError = "torch_lora_ref.py not found (give --reference)";
                else (refResult, refError) = PythonReference.Run(pr.GetValue(python)!, [script, .. c.ReferenceArgs(n, t)]);
                if (refResult is not null) Console.WriteLine($"pytorch-eager: {refResult["tokens_per_s"]} tokens/s ({refResult["step_ms"]} ms/step)");
                if (refError is not null) Console.Error.WriteLine($"reference: {refError}");
            }
            var refTps = refResult?["tokens_per_s"]?.GetValue<double>();
            var summary = new JsonObject
            {
                ["bench"] = "train",
                ["config"] = c.Name,
                ["threads"] = t,
                ["torch"] = LibTorch.Version,
                ["tokens_per_s"] = ours.TokensPerSecond,
                ["step_ms"] = ours.StepMs,
                ["trainable"] = ours.Trainable,
                ["loss"] = ours.Loss,
                ["reference"] = refResult,
                ["reference_error"] = refError,
                ["ratio"] = refTps is > 0 ? Math.Round(ours.TokensPerSecond / refTps.Value, 3) : null,
            };
            Console.WriteLine(summary.ToJsonString());
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static string? FindReference()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "bench", "torch_lora_ref.py");
            if (File.Exists(candidate)) return candidate;
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "bench", "torch_lora_ref.py"));
        }
        return null;
    }
}
