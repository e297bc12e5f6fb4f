using System.CommandLine;
using FineTune.Data;
using FineTune.Models.Chat;
using FineTune.Models.Tokenization;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune validate FILE [--format …] [--tokenizer MODEL_DIR] [--max-tokens N] [--lenient] [--json] [--out KEPT]`:
/// checks a dataset in one streaming pass (see src/FineTune.Data/README.md for the rules and codes).
/// Exit 0 when the file is usable, 1 when not, 2 on usage errors.
/// </summary>
public static class ValidateCommand
{
    /// <summary>Files from this size on show a progress bar on a terminal.</summary>
    public const long ProgressFromBytes = 32L << 20;

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Chat JSONL, Alpaca or ShareGPT (JSON array or JSONL)." };
        var shared = new DataOptions();
        var json = new Option<bool>("--json") { Description = "Print the whole report as one JSON object." };
        var output = new Option<string?>("--out") { HelpName = "KEPT.jsonl", Description = "Write the valid examples as normalized chat JSONL here (only when the file is usable)." };

        var command = new Command("validate", "Validate a dataset: line-numbered problems with stable codes, statistics, SHA-256.");
        command.Arguments.Add(file);
        shared.AddTo(command);
        command.Options.Add(json);
        command.Options.Add(output);
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var path = pr.GetValue(file)!;
            if (!DataOptions.CheckInput(path, "validate")) return ExitCodes.Usage;
            if (shared.Build(pr, "validate") is not { } options) return ExitCodes.Usage;

            ValidationReport report;
            try
            {
                await using var file = DataOptions.OpenInput(path);
                Task<ValidationReport> Validate(Stream input) => pr.GetValue(output) is { } outPath
                    ? DataOptions.WriteAtomicallyAsync(outPath, stream => DatasetValidator.ValidateAsync(input, options, new ChatJsonlWriter(stream), ct))
                    : DatasetValidator.ValidateAsync(input, options, ct);
                // A big file on a terminal: a bar of the bytes read so far.
                report = file.Length >= ProgressFromBytes && TerminalProgress.For(Console.Out) is { } display
                    ? await display.RunAsync(bars => Validate(new ReadProgressStream(file,
                        read => bars.Report(Path.GetFileName(path), read, file.Length, $"{read >> 20}/{file.Length >> 20} MiB"))))
                    : await Validate(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"finetune validate: {ex.Message}");
                return ExitCodes.Usage;
            }
            Console.Out.Write(pr.GetValue(json)
                ? ValidationReportJson.Serialize(report) + Environment.NewLine
                : ValidationReportText.Format(report, Path.GetFileName(path)));
            return report.Usable ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }
}

/// <summary>The options validate and convert share, and building <see cref="ValidationOptions"/> from them.</summary>
internal sealed class DataOptions
{
    public readonly Option<string> Format = new("--format") { Description = "Input format.", DefaultValueFactory = _ => "auto" };
    public readonly Option<string?> Tokenizer = new("--tokenizer") { HelpName = "MODEL_DIR", Description = "Model folder (tokenizer.json, tokenizer_config.json): count tokens exactly with its chat template. Default: estimate." };
    public readonly Option<int> MaxTokens = new("--max-tokens") { Description = "Warn (too_long) above this many tokens per example.", DefaultValueFactory = _ => 4096 };
    public readonly Option<int> Epochs = new("--epochs") { Description = "Epochs for the billed-training-tokens figure.", DefaultValueFactory = _ => 3 };
    public readonly Option<bool> Lenient = new("--lenient") { Description = "Keep the valid examples and list the dropped lines (default: strict, any error rejects the file)." };
    public readonly Option<int> MaxProblems = new("--max-problems") { Description = "Problems and dropped lines listed in the report (counts stay exact beyond it).", DefaultValueFactory = _ => 100_000 };
    public readonly Option<int> Threads = new("--threads") { Description = "Threads that check records (default: cores - 1, at least 1).", DefaultValueFactory = _ => new ValidationOptions().Parallelism };
    public readonly Option<int> MaxLineBytes = new("--max-line-bytes") { Description = "Longer lines are reported as line_too_long, not parsed.", DefaultValueFactory = _ => 16 * 1024 * 1024 };

    public DataOptions() => Format.AcceptOnlyFromAmong("auto", "chat", "alpaca", "sharegpt");

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Format, Tokenizer, MaxTokens, Epochs, Lenient, MaxLineBytes, MaxProblems, Threads })
            command.Options.Add(option);
    }

    public static DataFormat ParseFormat(string name) => name switch
    {
        "chat" => DataFormat.Chat,
        "alpaca" => DataFormat.Alpaca,
        "sharegpt" => DataFormat.ShareGpt,
        _ => DataFormat.Auto,
    };

    /// <summary>The options, or null after printing why they are unusable (exit 2).</summary>
    public ValidationOptions? Build(ParseResult pr, string verb)
    {
        int maxTokens = pr.GetValue(MaxTokens), epochs = pr.GetValue(Epochs), maxLine = pr.GetValue(MaxLineBytes), threads = pr.GetValue(Threads),
            maxProblems = pr.GetValue(MaxProblems);
        if (maxTokens < 1 || epochs < 1 || maxLine < 1024 || threads is < 1 or > 64 || maxProblems < 0)
        {
            Console.Error.WriteLine($"finetune {verb}: --max-tokens and --epochs must be >= 1, --max-line-bytes >= 1024, --threads 1 to 64, --max-problems >= 0.");
            return null;
        }
        ITokenCounter? counter = null;
        string? counterName = null;
        if (pr.GetValue(Tokenizer) is { } dir)
        {
            try
            {
                counter = new ChatTemplateTokenCounter(dir);
                counterName = counter.ToString();
            }
            catch (Exception ex) when (ex is TokenizerFormatException or ChatTemplateException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"finetune {verb}: --tokenizer {dir}: {ex.Message}");
                return null;
            }
        }
        return new ValidationOptions
        {
            Format = ParseFormat(pr.GetValue(Format)!),
            Mode = pr.GetValue(Lenient) ? ValidationMode.Lenient : ValidationMode.Strict,
            MaxTokens = maxTokens,
            Epochs = epochs,
            MaxLineBytes = maxLine,
            Parallelism = threads,
            MaxReportedProblems = maxProblems,
            TokenCounter = counter,
            TokenCounterName = counterName,
        };
    }

    public static bool CheckInput(string path, string verb)
    {
        if (File.Exists(path)) return true;
        Console.Error.WriteLine(Directory.Exists(path)
            ? $"finetune {verb}: {path} is a folder; give a data file."
            : $"finetune {verb}: no such file: {path}");
        return false;
    }

    public static FileStream OpenInput(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);

    /// <summary>Writes through a temporary file and moves it to <paramref name="path"/> only when the report says usable.</summary>
    public static async Task<ValidationReport> WriteAtomicallyAsync(string path, Func<Stream, Task<ValidationReport>> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp-" + Environment.ProcessId;
        try
        {
            ValidationReport report;
            await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                report = await write(stream);
            if (report.Usable) File.Move(temp, full, overwrite: true);
            return report;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}

/// <summary>
/// Counts an example's tokens exactly as training sees them: rendered with the model's chat template
/// and tokenized with its tokenizer.json (FineTune.Models).
/// </summary>
internal sealed class ChatTemplateTokenCounter : ITokenCounter
{
    private readonly ChatTemplate _template;
    private readonly string _name;

    public ChatTemplateTokenCounter(string modelDirectory)
    {
        if (!Directory.Exists(modelDirectory)) throw new IOException($"no such folder: {modelDirectory}");
        _template = ChatTemplate.ForTokenizer(FineTune.Models.Tokenization.Tokenizer.Load(modelDirectory));
        _name = $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDirectory)))} ({_template.Name} template)";
    }

    public int CountTokens(ChatExample example) =>
        _template.Render(example.Messages.Select(m => (m.Role, m.Content)).ToList(), addGenerationPrompt: false).ids.Length;

    public override string ToString() => _name;
}
