using System.CommandLine;
using System.Globalization;
using FineTune.Models.Chat;
using FineTune.Models.Tokenization;
using FineTune.Training.Evaluation;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune eval --model DIR [--adapter DIR…] --data FILE [--shots K] [--json]`: GSM8K-style evaluation of the
/// base model and each adapter on the same prompts with the same (greedy by default) decoding. DATA is GSM8K
/// JSONL (question, answer ending in "#### N") or chat data (the last assistant message is the reference).
/// Scores follow lm-evaluation-harness (strict "#### N" and flexible last-number extraction, exact match).
/// Writes OUT/report.json and OUT/items.NAME.jsonl (prompt, output, extracted, reference, correct per item).
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Base model folder (config.json, safetensors, tokenizer.json)." };
        var adapters = new Option<string[]>("--adapter")
        {
            Description = "LoRA adapter folder to compare with base (repeatable; named after its folder, or NAME=DIR).",
            AllowMultipleArgumentsPerToken = true,
        };
        var data = new Option<string?>("--data") { Description = "Eval set: GSM8K JSONL or chat JSONL/alpaca/sharegpt." };
        var spec = new Option<string?>("--spec") { Description = "The pipeline's eval spec, a storage address container/name (with FINETUNE_STORAGE set): evaluates base, the adapter and its checkpoints, and writes results with the deployment gate's decision." };
        var shots = new Option<int>("--shots") { Description = "Solved examples shown as prior chat turns (taken from the start of --data, or from --fewshot).", DefaultValueFactory = _ => 0 };
        var fewShot = new Option<string?>("--fewshot") { Description = "Separate file to take the shots from (then every --data item is evaluated)." };
        var output = new Option<string>("--output") { Description = "Folder for report.json and items.NAME.jsonl.", DefaultValueFactory = _ => "eval" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Tokens generated per item at most.", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch-size") { Description = "Prompts generated together.", DefaultValueFactory = _ => 16 };
        var limit = new Option<int>("--limit") { Description = "Evaluate only the first N items (0 = all).", DefaultValueFactory = _ => 0 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy (default).", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed (with --temperature > 0).", DefaultValueFactory = _ => 0 };
        var noBase = new Option<bool>("--no-base") { Description = "Evaluate only the adapters." };
        var device = new Option<string?>("--device") { Description = "cpu or cuda[:N] (default: cuda when available)." };
        var template = new Option<string?>("--template") { Description = $"Chat template override ({string.Join(", ", ChatTemplateDetector.OverrideNames)})." };
        var threads = new Option<int?>("--threads") { Description = "CPU threads for libtorch (default: $FINETUNE_THREADS or every core)." };
        var json = new Option<bool>("--json") { Description = "Print report.json to stdout instead of a table." };

        var command = new Command("eval", "Evaluate base vs tuned (GSM8K-style exact match) on the same items.");
        foreach (var option in new Option[] { model, adapters, data, spec, shots, fewShot, output, maxNew, batch, limit, temperature, seed, noBase, device, template, threads, json })
            command.Options.Add(option);

        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var stdout = pr.InvocationConfiguration.Output;
            var stderr = pr.InvocationConfiguration.Error;
            if (pr.GetValue(spec) is { } specAddress)
            {
                if (Environment.GetEnvironmentVariable("FINETUNE_STORAGE") is not { Length: > 0 } storage)
                {
                    await stderr.WriteLineAsync("finetune eval: --spec needs FINETUNE_STORAGE (the data folder or a storage connection string)");
                    return ExitCodes.Usage;
                }
                FineTune.Torch.LibTorch.ConfigureThreads(pr.GetValue(threads));
                return await StorageEvaluation.RunAsync(storage, specAddress, ct);
            }
            if (pr.GetValue(model) is null || pr.GetValue(data) is null)
            {
                await stderr.WriteLineAsync("finetune eval: give --model and --data (or --spec)");
                return ExitCodes.Usage;
            }
            EvalSpec evalSpec;
            try
            {
                var taken = new List<string>();
                evalSpec = new EvalSpec
                {
                    Model = pr.GetValue(model)!,
                    Adapters = (pr.GetValue(adapters) ?? []).Select(a => AdapterRef.Parse(a, taken)).ToList(),
                    Output = pr.GetValue(output)!,
                    IncludeBase = !pr.GetValue(noBase),
                    Shots = pr.GetValue(shots),
                    MaxNewTokens = pr.GetValue(maxNew),
                    BatchSize = pr.GetValue(batch),
                    Limit = pr.GetValue(limit),
                    Temperature = pr.GetValue(temperature),
                    Seed = pr.GetValue(seed),
                    Device = pr.GetValue(device),
                    ChatTemplate = pr.GetValue(template),
                }.Validate();
            }
            catch (ArgumentException e)
            {
                await stderr.WriteLineAsync($"finetune eval: {e.Message}");
                return ExitCodes.Usage;
            }

            try
            {
                FineTune.Torch.LibTorch.ConfigureThreads(pr.GetValue(threads));
                int lastShown = -1;
                Task<EvalReport> Run(Action<EvalProgress> onProgress) => Evaluator.RunAsync(evalSpec, pr.GetValue(data)!, pr.GetValue(fewShot), onProgress, ct);
                var report = TerminalProgress.For(stdout) is { } display
                    ? await display.RunAsync(bars => Run(p => bars.Report(p.Variant, p.Done, p.Total)))
                    : await Run(p =>
                    {
                        // One progress line per variant per 10% (stderr, so --json output stays clean).
                        int tenth = p.Done * 10 / Math.Max(1, p.Total);
                        if (tenth != lastShown || p.Done == p.Total) stderr.WriteLine($"{p.Variant}: {p.Done}/{p.Total}");
                        lastShown = p.Done == p.Total ? -1 : tenth;
                    });
                if (pr.GetValue(json)) await stdout.WriteLineAsync(report.ToJson());
                else await stdout.WriteAsync(Table(report));
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException
                                          or TokenizerFormatException or ChatTemplateException or FineTune.Torch.TorchException
                                          or FineTune.Models.Checkpoints.CheckpointFormatException)
            {
                await stderr.WriteLineAsync($"finetune eval: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static string Table(EvalReport r)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"{r.Items} items, {r.Shots}-shot, {(r.Decoding.Greedy ? "greedy" : $"temperature {r.Decoding.Temperature}")}, max {r.Decoding.MaxNewTokens} new tokens, {r.Device}, template {r.Template}");
        w.WriteLine($"{"variant",-16} {"strict",14} {"flexible",14} {"tokens",8} {"seconds",8} {"tok/s",8}");
        foreach (var (name, s) in r.Results)
            w.WriteLine($"{name,-16} {$"{s.StrictAccuracy:P1} ({s.CorrectStrict})",14} {$"{s.FlexibleAccuracy:P1} ({s.CorrectFlexible})",14} {s.TokensGenerated,8} {s.Seconds,8:0.00} {s.TokensPerS,8:0.0}");
        foreach (var (name, path) in r.PerItemFiles) w.WriteLine($"{name}: {path}");
        return w.ToString();
    }
}
