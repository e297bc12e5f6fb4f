using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using FineTune.Data;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune bench validate`: generates a chat JSONL file (default 200 MB, ~2 KB lines, deterministic),
/// then times one streaming validation pass over it (SHA-256, parsing, rules, token estimate, duplicates).
/// --stream validates a generated stream instead of a file (no disk; use it for multi-GB memory checks).
/// The last line is one JSON object with mb_per_s (10^6 bytes) and lines_per_s.
/// </summary>
public static class BenchValidateCommand
{
    public static Command Create()
    {
        var sizeMb = new Option<int>("--size-mb") { Description = "Size of the generated data in MB (10^6 bytes).", DefaultValueFactory = _ => 200 };
        var stream = new Option<bool>("--stream") { Description = "Validate a generated stream rather than a file on disk." };
        var keep = new Option<string?>("--file") { Description = "Where to write the generated file (default: a temporary file, deleted after)." };
        var threads = new Option<int>("--threads") { Description = "Threads that check records (default: cores - 1, at least 1).", DefaultValueFactory = _ => new ValidationOptions().Parallelism };
        var command = new Command("validate", "MB/s and lines/s of `finetune validate` on generated chat JSONL.") { sizeMb, stream, keep, threads };
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var size = pr.GetValue(sizeMb);
            if (size < 1) { Console.Error.WriteLine("finetune bench validate: --size-mb must be >= 1"); return ExitCodes.Usage; }
            var bytes = size * 1_000_000L;
            if (pr.GetValue(threads) is < 1 or > 64) { Console.Error.WriteLine("finetune bench validate: --threads must be 1 to 64"); return ExitCodes.Usage; }
            var options = new ValidationOptions { Parallelism = pr.GetValue(threads) };

            if (pr.GetValue(stream))
            {
                await using var generated = new SyntheticChatStream(bytes);
                var result = await TimeAsync(generated, options, "stream", ct);
                Console.WriteLine(JsonSerializer.Serialize(result));
                return ExitCodes.Ok;
            }

            var path = pr.GetValue(keep) ?? Path.Combine(Path.GetTempPath(), $"finetune-bench-validate-{Environment.ProcessId}.jsonl");
            try
            {
                var sw = Stopwatch.StartNew();
                await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                    await new SyntheticChatStream(bytes).CopyToAsync(file, 1 << 20, ct);
                Console.WriteLine($"generated {new FileInfo(path).Length / 1e6:F1} MB of chat JSONL in {sw.Elapsed.TotalSeconds:F1} s: {path}");
                await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
                var result = await TimeAsync(input, options, "file", ct);
                Console.WriteLine(JsonSerializer.Serialize(result));
                return ExitCodes.Ok;
            }
            finally
            {
                if (pr.GetValue(keep) is null && File.Exists(path)) File.Delete(path);
            }
        });
        return command;
    }

    private static async Task<Result> TimeAsync(Stream input, ValidationOptions options, string source, CancellationToken ct)
    {
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var report = await DatasetValidator.ValidateAsync(input, options, ct);
        var seconds = sw.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        Console.WriteLine($"validated {report.Bytes / 1e6:F1} MB, {report.Lines:N0} lines ({report.ValidExamples:N0} valid, {report.Errors} errors) in {seconds:F2} s " +
                          $"({cpu:F2} s CPU); peak working set {process.PeakWorkingSet64 / 1e6:F0} MB");
        return new Result("validate", source, options.Parallelism, report.Bytes, report.Lines, Math.Round(seconds, 3), Math.Round(cpu, 3),
            Math.Round(report.Bytes / 1e6 / seconds, 1), Math.Round(report.Lines / seconds, 0),
            Math.Round(process.PeakWorkingSet64 / 1e6, 0), report.ValidExamples, report.Errors, Environment.ProcessorCount);
    }

    private sealed record Result(string bench, string source, int threads, long bytes, long lines, double seconds, double cpu_seconds,
        double mb_per_s, double lines_per_s, double peak_working_set_mb, long valid_examples, long errors, int cores);
}
