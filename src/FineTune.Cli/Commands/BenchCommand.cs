using System.CommandLine;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune bench …`: every benchmark prints its figures as one JSON object on the last line of its output.
/// Each area adds its subcommand here.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks; each prints one JSON object on its last line.");
        bench.Subcommands.Add(BenchMatmulCommand.Create());
        bench.Subcommands.Add(BenchTrainCommand.Create());
        bench.Subcommands.Add(BenchGenerateCommand.Create());
        bench.Subcommands.Add(BenchPipelineCommand.Create());
        bench.Subcommands.Add(BenchValidateCommand.Create());
        bench.Subcommands.Add(BenchServeCommand.Create());
        return bench;
    }
}
