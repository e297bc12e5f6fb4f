using System.CommandLine;
using System.Text.Json.Nodes;
using FineTune.Cli.Bench;
using FineTune.Models.Checkpoints;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune bench generate`: prefill and decode tokens/s of greedy generation on a checkpoint, beside a plain
/// PyTorch eager greedy loop (Bench/torch_generate_ref.py) on the same checkpoint, alternated within one run
/// (<see cref="BenchRuns"/>; the reference stays up between its repetitions): each figure the median over repetitions with
/// min–max, and each ratio also over the side-by-side pairs of repetitions (<see cref="Figure.PairedRatio"/>).
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
        var repetitions = new Option<int>("--repetitions") { Description = "Repetitions of each side, alternated.", DefaultValueFactory = _ => 3 };
        var threads = new Option<int?>("--threads");
        var python = new Option<string>("--python") { DefaultValueFactory = _ => "/usr/bin/python3" };
        var noReference = new Option<bool>("--no-reference");
        var trace = new Option<string?>("--trace") { Description = "After the timed runs, record one more generation of ours with libtorch's profiler into this Chrome trace file, and print its ops by time." };
        var cmd = new Command("generate", "Prefill and decode tokens/s, beside plain PyTorch eager on the same checkpoint.")
            { model, config, batch, prompt, newTokens, repetitions, threads, python, noReference, trace };
        cmd.SetAction(pr =>
        {
            int b = pr.GetValue(batch), p = pr.GetValue(prompt), n = pr.GetValue(newTokens), reps = pr.GetValue(repetitions);
            if (b < 1 || p < 1 || n < 2 || reps < 1) { Console.Error.WriteLine("finetune: --batch, --prompt and --repetitions must be >= 1, --new >= 2"); return ExitCodes.Usage; }
            int t = LibTorch.ConfigureThreads(pr.GetValue(threads));
            var machine = BenchRuns.Machine(t);
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
                using var m = ModelLoader.Load(dir);
                var bench = new GenerationBenchmark(m, b, p, n);
                // The reference stays up between its repetitions (--serve), so each of ours and the reference's next one run
                // a fraction of a second apart, with no process start between them.
                ReferenceSession? session = null;
                string? error = null;
                if (!pr.GetValue(noReference))
                    (session, error) = PythonReference.Start(pr.GetValue(python)!,
                        [PythonReference.GenerateScript, dir, "--batch", $"{b}", "--prompt", $"{p}", "--new", $"{n}", "--threads", $"{t}"]);
                using var _ = session;
                var (ours, theirs) = BenchRuns.Alternate(reps,
                    () =>
                    {
                        var r = bench.Measure();
                        Console.WriteLine($"finetune: prefill {r.PrefillTokensPerSecond} tok/s, decode {r.DecodeTokensPerSecond} tok/s");
                        return (Prefill: r.PrefillTokensPerSecond, Decode: (double?)r.DecodeTokensPerSecond);
                    },
                    session is null ? null : () =>
                    {
                        var (reference, e) = session.Measure();
                        error ??= e;
                        if (reference is null) return (0, null);
                        Console.WriteLine($"pytorch-eager: prefill {reference["prefill_tokens_per_s"]} tok/s, decode {reference["decode_tokens_per_s"]} tok/s");
                        return (reference["prefill_tokens_per_s"]!.GetValue<double>(), reference["decode_tokens_per_s"]?.GetValue<double>());
                    });
                if (error is not null) Console.Error.WriteLine($"reference: {error}");
                if (pr.GetValue(trace) is { } tracePath)
                {
                    using (LibTorch.Profile(tracePath)) bench.Measure();
                    Console.WriteLine($"three generations of ours, recorded in {tracePath}:");
                    TraceSummary.Print(TraceSummary.Read(tracePath));
                }
                var prefill = Figure.Of(ours.Select(r => r.Prefill).ToList());
                var decode = Figure.Of(ours.Select(r => r.Decode ?? 0).ToList());
                var done = theirs.Where(r => r.Prefill > 0).ToList();
                Figure? refPrefill = done.Count > 0 ? Figure.Of(done.Select(r => r.Prefill).ToList()) : null;
                Figure? refDecode = done.Count > 0 ? Figure.Of(done.Select(r => r.Decode ?? 0).ToList()) : null;
                Console.WriteLine($"finetune: prefill {prefill} tok/s, decode {decode} tok/s");
                var prefillPairs = Figure.PairedRatio(ours.Select(r => r.Prefill).ToList(), theirs.Select(r => r.Prefill).ToList());
                var decodePairs = Figure.PairedRatio(ours.Select(r => r.Decode ?? 0).ToList(), theirs.Select(r => r.Decode ?? 0).ToList());
                if (refPrefill is not null)
                {
                    Console.WriteLine($"pytorch-eager: prefill {refPrefill} tok/s, decode {refDecode} tok/s; ratios {Figure.Ratio(prefill, refPrefill)}, {Figure.Ratio(decode, refDecode)}");
                    Console.WriteLine($"ratios of the side-by-side repetitions: prefill {prefillPairs}, decode {decodePairs}");
                }
                Console.WriteLine(new JsonObject
                {
                    ["bench"] = "generate", ["model"] = pr.GetValue(model) ?? pr.GetValue(config), ["batch"] = b, ["prompt"] = p, ["new"] = n,
                    ["machine"] = machine, ["repetitions"] = reps,
                    ["prefill_tokens_per_s"] = prefill.ToJson(), ["decode_tokens_per_s"] = decode.ToJson(),
                    ["reference"] = refPrefill is null ? null : new JsonObject
                    {
                        ["impl"] = "pytorch-eager", ["prefill_tokens_per_s"] = refPrefill.ToJson(), ["decode_tokens_per_s"] = refDecode!.ToJson(),
                    },
                    ["reference_error"] = error,
                    ["prefill_ratio"] = Figure.Ratio(prefill, refPrefill),
                    ["decode_ratio"] = Figure.Ratio(decode, refDecode),
                    ["prefill_ratio_paired"] = prefillPairs?.ToJson(),
                    ["decode_ratio_paired"] = decodePairs?.ToJson(),
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
