using FineTune.Torch;
using System.CommandLine;
using System.Globalization;
using FineTune.Training;
using FineTune.Training.Contract;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune train`: a LoRA adapter from a base model and chat data, described by a spec file
/// (`--spec FILE`, the form containers and the pipeline use) or by flags. Prints a progress bar in a
/// terminal (Spectre.Console, <see cref="TerminalProgress"/>), else one `progress {json}` line (<see cref="RunProgress"/>) per metrics event (the local training
/// backend reads these). Writes adapter/, checkpoints/, metrics.jsonl and result.json into the output.
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var spec = new Option<string?>("--spec") { Description = "Job spec JSON (model, data, output, preset, hyperparameters…); a storage address container/name when FINETUNE_STORAGE is set." };
        var model = new Option<string?>("--model") { Description = "Base model folder (Hugging Face format)." };
        var data = new Option<string?>("--data") { Description = "Training data: chat JSONL, alpaca or sharegpt." };
        var output = new Option<string?>("--out") { Description = "Output folder." };
        var validation = new Option<string?>("--validation") { Description = "Validation data file." };
        var valFraction = new Option<double>("--val-fraction") { Description = "Share of the data held out for validation loss (by content hash)." };
        var valCount = new Option<int>("--val-count") { Description = "Number of examples held out for validation loss." };
        var preset = new Option<string>("--preset") { Description = $"{string.Join(", ", Hyperparameters.Presets.Keys)}.", DefaultValueFactory = _ => "standard" };
        var expert = new Option<bool>("--expert") { Description = "Allow hyperparameters beyond the hosted-service ranges." };
        var device = new Option<string?>("--device") { Description = "cpu or cuda[:N] (default: cuda when available)." };
        var threads = new Option<int?>("--threads") { Description = "CPU threads of the tensor math (default: FINETUNE_THREADS, else every core)." };
        var template = new Option<string?>("--chat-template") { Description = "Override the detected chat template (chatml, qwen2.5, qwen3, llama3)." };
        var logEvery = new Option<int>("--log-every") { Description = "Metrics every N optimizer steps.", DefaultValueFactory = _ => 10 };
        var maxSteps = new Option<int>("--max-steps") { Description = "Stop after N optimizer steps (0 = no limit)." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in the output folder." };
        var hyperparameters = new HyperparameterOptions();
        var cmd = new Command("train", "Train a LoRA adapter (PEFT format) on chat data.");
        foreach (var option in new Option[] { spec, model, data, output, validation, valFraction, valCount, preset }
                     .Concat(hyperparameters.Options)
                     .Concat([expert, device, threads, template, logEvery, maxSteps, resume]))
            cmd.Options.Add(option);
        cmd.SetAction(async (pr, ct) =>
        {
            ParentWatchdog.Start();
            TrainingSpec s;
            if (pr.GetValue(spec) is { } specArg)
            {
                if (File.Exists(specArg))
                {
                    try { s = TrainingSpec.Load(specArg); }
                    catch (ArgumentException e) { return Fail(ExitCodes.Usage, $"{specArg}: {e.Message}"); }
                    catch (InvalidDataException e) { return Fail(ExitCodes.Usage, e.Message); }
                }
                else if (Environment.GetEnvironmentVariable("FINETUNE_STORAGE") is { Length: > 0 } storage)
                    return await StorageTraining.RunAsync(storage, specArg, pr.GetValue(resume), ct);
                else return Fail(ExitCodes.Usage, $"spec file not found: {specArg}");
            }
            else
            {
                if (pr.GetValue(model) is not { } m || pr.GetValue(data) is not { } d || pr.GetValue(output) is not { } o)
                    return Fail(ExitCodes.Usage, "give --spec FILE, or --model, --data and --out");
                HyperparameterOverrides overrides;
                try { overrides = hyperparameters.Read(pr); }
                catch (ArgumentException e) { return Fail(ExitCodes.Usage, e.Message); }
                s = new TrainingSpec
                {
                    Model = Path.GetFullPath(m), Data = Path.GetFullPath(d), Output = Path.GetFullPath(o),
                    ValidationData = pr.GetValue(validation) is { } v ? Path.GetFullPath(v) : null,
                    ValidationFraction = pr.GetValue(valFraction), ValidationCount = pr.GetValue(valCount),
                    Preset = pr.GetValue(preset)!, Expert = pr.GetValue(expert), Device = pr.GetValue(device), Threads = pr.GetValue(threads),
                    ChatTemplate = pr.GetValue(template), LogEvery = pr.GetValue(logEvery), MaxSteps = pr.GetValue(maxSteps),
                    Hyperparameters = overrides,
                };
            }
            return await RunAsync(s, pr.GetValue(resume), ct);
        });
        return cmd;
    }

    /// <summary>Runs a local spec with console progress; exit 0 on success, 1 on bad data, 2 on bad settings.</summary>
    public static async Task<int> RunAsync(TrainingSpec spec, bool resume, CancellationToken ct, Action<object>? onEvent = null)
    {
        var progress = new TrainProgressPrinter();
        try
        {
            LibTorch.ConfigureThreads(spec.Threads);   // the process is ours: the spec's count, else FINETUNE_THREADS, else every core
            using var trainer = new LoraTrainer(spec, e => { progress.On(e); onEvent?.Invoke(e); });
            var h = trainer.Hyperparameters;
            Console.Error.WriteLine($"train: preset {spec.Preset}: lr {h.LearningRate}, {h.Epochs} epochs, batch {h.BatchSize}×{h.GradientAccumulation}, " +
                $"LoRA r {h.LoraRank} α {h.LoraAlpha} dropout {h.LoraDropout} on {string.Join(",", h.LoraTargets)}");
            await trainer.SetupAsync(ct);
            Console.Error.WriteLine($"train: chat template {trainer.ChatTemplateChoice}");
            var result = TerminalProgress.For(Console.Out) is { } display
                ? await display.RunAsync(bars => { progress.Bars = bars; return Task.FromResult(trainer.Train(resume, ct)); })
                : trainer.Train(resume, ct);
            Console.WriteLine($"train: done: last epoch mean loss {result.LastEpochMeanLoss:F4}{(result.ValidationLoss is { } vl ? $", validation loss {vl:F4}" : "")}, " +
                $"{result.Steps} steps, {result.TokensTrained} tokens in {result.DurationSeconds:F1} s; " +
                $"{result.TruncatedExamples} truncated; adapter in {result.Adapter}");
            return ExitCodes.Ok;
        }
        catch (ArgumentException e) { return Fail(ExitCodes.Usage, e.Message); }
        catch (InvalidDataException e) { return Fail(ExitCodes.Failed, e.Message); }
        catch (FileNotFoundException e) { return Fail(ExitCodes.Failed, e.Message); }
        catch (Models.Checkpoints.CheckpointFormatException e) { return Fail(ExitCodes.Failed, e.Message); }
        catch (Models.Tokenization.TokenizerFormatException e) { return Fail(ExitCodes.Failed, e.Message); }
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"finetune train: {message}");
        return code;
    }
}

/// <summary>
/// The local training backend sets FINETUNE_PARENT_PID: a host killed with SIGKILL cannot stop its
/// trainer, so the trainer stops itself (exit 3) once that process is gone. Checkpoints make the
/// restarted run resume.
/// </summary>
internal static class ParentWatchdog
{
    public static void Start()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("FINETUNE_PARENT_PID"), out var pid) || pid <= 0) return;
        var thread = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(1000);
                if (!Alive(pid))
                {
                    Console.Error.WriteLine($"finetune: parent process {pid} is gone; stopping");
                    Environment.Exit(3);
                }
            }
        }) { IsBackground = true, Name = "parent-watchdog" };
        thread.Start();
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}

/// <summary>Bars on a terminal (<see cref="Bars"/>); otherwise <see cref="RunProgress"/> lines, one per metrics event.</summary>
internal sealed class TrainProgressPrinter
{
    public IProgressBars? Bars { get; set; }

    public void On(object e)
    {
        switch (e)
        {
            case StepMetrics m:
                if (Bars is { } bars)
                    bars.Report("train", m.Step, m.TotalSteps,
                        string.Create(CultureInfo.InvariantCulture, $"epoch {m.Epoch:F2} loss {m.Loss:F4} lr {m.LearningRate:E2} {m.TokensPerSecond:F0} tok/s"));
                else
                {
                    Console.WriteLine(RunProgress.From(m).ToLine());
                }
                break;
            case EpochMetrics ep:
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"epoch {ep.Epoch}: train loss {ep.TrainLoss:F4}{(ep.ValidationLoss is { } v ? $", validation loss {v:F4}" : "")}, checkpoint {ep.Checkpoint}");
                if (Bars is { } b) b.Line(line); else Console.WriteLine(line);
                break;
        }
    }
}
