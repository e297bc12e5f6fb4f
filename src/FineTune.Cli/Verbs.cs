using System.CommandLine;
using FineTune.Cli.Commands;

namespace FineTune.Cli;

/// <summary>The verbs of `finetune`, in the order `--help` lists them.</summary>
public static class Verbs
{
    public static IEnumerable<Command> All()
    {
        yield return ValidateCommand.Create();
        yield return ConvertCommand.Create();
        yield return SynthesizeCommand.Create(TerminalProgress.For);
        yield return ServeCommand.Create();
        yield return JobsCommand.Create();
        yield return TokenizeCommand.Create();
        yield return ModelCommand.Create();
        yield return TrainCommand.Create();
        yield return ExportCommand.Create();
        yield return ChatCommand.Create();
        yield return EvalCommand.Create();
        yield return BenchCommand.Create();
    }
}
