using System.CommandLine;
using FineTune.Data;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune convert IN --to chat|alpaca|sharegpt --out OUT`: validates IN (any supported format) and
/// writes its examples as JSONL in the target format. OUT appears only when the input is usable; with
/// --lenient invalid records are dropped and listed. Exit 0, 1 (input not usable) or 2 (usage).
/// </summary>
public static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Chat JSONL, Alpaca or ShareGPT (JSON array or JSONL)." };
        var to = new Option<string>("--to") { Description = "Output format (JSONL).", Required = true };
        to.AcceptOnlyFromAmong("chat", "alpaca", "sharegpt");
        var output = new Option<string>("--out") { Description = "Output file.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the validation report as JSON." };
        var shared = new DataOptions();

        var command = new Command("convert", "Convert between chat, Alpaca and ShareGPT, validating on the way.");
        command.Arguments.Add(input);
        command.Options.Add(to);
        command.Options.Add(output);
        shared.AddTo(command);
        command.Options.Add(json);
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var path = pr.GetValue(input)!;
            if (!DataOptions.CheckInput(path, "convert")) return ExitCodes.Usage;
            if (shared.Build(pr, "convert") is not { } options) return ExitCodes.Usage;
            var outPath = pr.GetValue(output)!;
            if (Path.GetFullPath(outPath) == Path.GetFullPath(path))
            {
                Console.Error.WriteLine("finetune convert: --out must differ from the input.");
                return ExitCodes.Usage;
            }
            var target = DataOptions.ParseFormat(pr.GetValue(to)!);

            ValidationReport report;
            long written = 0;
            try
            {
                await using var source = DataOptions.OpenInput(path);
                report = await DataOptions.WriteAtomicallyAsync(outPath, async stream =>
                {
                    var writer = BufferedExampleWriter.For(target, stream);
                    var r = await DatasetValidator.ValidateAsync(source, options, writer, ct);
                    written = writer.Written;
                    return r;
                });
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"finetune convert: {ex.Message}");
                return ExitCodes.Usage;
            }

            if (pr.GetValue(json)) Console.Out.WriteLine(ValidationReportJson.Serialize(report));
            else
            {
                Console.Out.Write(ValidationReportText.Format(report, Path.GetFileName(path)));
                Console.Out.WriteLine(report.Usable
                    ? $"wrote {written:N0} examples as {pr.GetValue(to)} to {outPath}"
                    : $"nothing written: the input is not usable{(options.Mode == ValidationMode.Strict ? " (--lenient drops the invalid records)" : "")}");
            }
            return report.Usable ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }
}
