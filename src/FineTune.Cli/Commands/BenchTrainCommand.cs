using System.CommandLine;
using System.Text.Json.Nodes;
using FineTune.Cli.Bench;
using FineTune.Torch;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune bench train --config tiny|small`: tokens/s of our LoRA training step beside the plain PyTorch eager
/// reference (../shared/bench/torch_lora_ref.py, same flags), alternated within one run (<see cref="BenchRuns"/>):
/// each side's figure is the median over repetitions with min–max, and both processes' peak resident memory.
/// Last line: one JSON object.
/// </summary>
public static class BenchTrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "tiny or small.", DefaultValueFactory = _ => "tiny" };
        var steps = new Option<int>("--steps") { Description = "Timed steps per repetition (their median is the repetition's figure).", DefaultValueFactory = _ => 10 };
        var repetitions = new Option<int>("--repetitions") { Description = "Repetitions of each side, alternated (at least 3 for a median with a spread).", DefaultValueFactory = _ => 3 };
        var threads = new Option<int?>("--threads") { Description = "Threads for both (default: every core)." };
        var reference = new Option<string?>("--reference") { Description = "Path of torch_lora_ref.py (default: ../shared/bench/ beside the repository)." };
        var python = new Option<string>("--python") { Description = "Python with torch for the reference.", DefaultValueFactory = _ => "/usr/bin/python3" };
        var noReference = new Option<bool>("--no-reference") { Description = "Only our engine." };
        var trace = new Option<string?>("--trace") { Description = "After the timed runs, record one more step of ours with libtorch's profiler into this Chrome trace file, and print its ops by time." };
        var cmd = new Command("train", "Tokens/s of a LoRA training step, beside plain PyTorch eager on the same config.")
            { config, steps, repetitions, threads, reference, python, noReference, trace };
        cmd.SetAction(pr =>
        {
            TrainBenchConfig c;
            try { c = TrainBenchConfig.Get(pr.GetValue(config)!); }
            catch (ArgumentException e) { Console.Error.WriteLine($"finetune: {e.Message}"); return ExitCodes.Usage; }
            int n = pr.GetValue(steps), reps = pr.GetValue(repetitions);
            if (n < 1 || reps < 1) { Console.Error.WriteLine("finetune: --steps and --repetitions must be >= 1"); return ExitCodes.Usage; }
            int t = LibTorch.ConfigureThreads(pr.GetValue(threads));
            var machine = BenchRuns.Machine(t);
            string? script = null, refError = null;
            if (!pr.GetValue(noReference))
            {
                script = pr.GetValue(reference) ?? FindReference();
                if (script is null || !File.Exists(script)) (script, refError) = (null, "torch_lora_ref.py not found (give --reference)");
            }
            using var bench = new TrainStepBenchmark(c);
            var (ours, theirs) = BenchRuns.Alternate(reps,
                () =>
                {
                    var r = bench.Measure(n);
                    Console.WriteLine($"finetune: {r.TokensPerSecond} tokens/s ({r.StepMs} ms/step)");
                    return (JsonNode?)new JsonObject { ["tokens_per_s"] = r.TokensPerSecond, ["step_ms"] = r.StepMs, ["loss"] = r.Loss };
                },
                script is null ? null : () =>
                {
                    var (result, error) = PythonReference.Run(pr.GetValue(python)!, [script, .. c.ReferenceArgs(n, t)]);
                    if (result is not null) Console.WriteLine($"pytorch-eager: {result["tokens_per_s"]} tokens/s ({result["step_ms"]} ms/step)");
                    refError ??= error;
                    return result;
                });
            if (refError is not null) Console.Error.WriteLine($"reference: {refError}");
            if (pr.GetValue(trace) is { } tracePath)
            {
                using (LibTorch.Profile(tracePath)) bench.Measure(1, warmup: 0);
                Console.WriteLine($"one step of ours, recorded in {tracePath}:");
                TraceSummary.Print(TraceSummary.Read(tracePath));
            }
            var oursTps = Figure.Of(ours.Select(r => r!["tokens_per_s"]!.GetValue<double>()).ToList());
            var refValues = theirs.Where(r => r?["tokens_per_s"] is not null).Select(r => r!["tokens_per_s"]!.GetValue<double>()).ToList();
            var refTps = refValues.Count > 0 ? Figure.Of(refValues) : null;
            double? oursRss = BenchRuns.PeakRssMiB(), refRss = refTps is null ? null : BenchRuns.ChildrenPeakRssMiB();
            Console.WriteLine($"finetune: {oursTps} tokens/s; peak RSS {oursRss} MiB");
            var pairs = Figure.PairedRatio(ours.Select(r => r!["tokens_per_s"]!.GetValue<double>()).ToList(),
                theirs.Select(r => r?["tokens_per_s"]?.GetValue<double>() ?? 0).ToList());
            if (refTps is not null)
            {
                Console.WriteLine($"pytorch-eager: {refTps} tokens/s; peak RSS {refRss} MiB; ratio {Figure.Ratio(oursTps, refTps)}");
                Console.WriteLine($"ratio of the side-by-side repetitions: {pairs}");
            }
            var summary = new JsonObject
            {
                ["bench"] = "train",
                ["config"] = c.Name,
                ["machine"] = machine,
                ["torch"] = LibTorch.Version,
                ["repetitions"] = reps,
                ["steps"] = n,
                ["tokens_per_s"] = oursTps.ToJson(),
                ["trainable"] = bench.Trainable,
                ["loss"] = ours[^1]!["loss"]!.GetValue<double>(),
                ["peak_rss_mib"] = oursRss,
                ["reference"] = refTps is null ? null : new JsonObject
                {
                    ["impl"] = "pytorch-eager",
                    ["torch"] = theirs.FirstOrDefault(r => r is not null)?["torch"]?.GetValue<string>(),
                    ["tokens_per_s"] = refTps.ToJson(),
                    ["peak_rss_mib"] = refRss,
                },
                ["reference_error"] = refError,
                ["ratio"] = Figure.Ratio(oursTps, refTps),
                ["ratio_paired"] = pairs?.ToJson(),
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
