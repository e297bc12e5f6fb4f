using Spectre.Console;

namespace FineTune.Cli;

/// <summary>Spectre.Console progress bars: the one place the CLI uses Spectre.</summary>
public sealed class TerminalProgress(IAnsiConsole console) : IProgressDisplay
{
    /// <summary>
    /// Bars when the command writes to this process's console, stdout is an interactive terminal and this is not CI;
    /// otherwise null, and the command prints its plain lines.
    /// </summary>
    public static IProgressDisplay? For(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")) && AnsiConsole.Profile.Capabilities.Interactive
            ? new TerminalProgress(AnsiConsole.Console)
            : null;

    public async Task<T> RunAsync<T>(Func<IProgressBars, Task<T>> work)
    {
        T result = default!;
        await console.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context => result = await work(new Bars(context, console)));
        return result;
    }

    private sealed class Bars(ProgressContext context, IAnsiConsole console) : IProgressBars
    {
        private readonly Dictionary<string, ProgressTask> _tasks = [];

        public void Report(string task, double done, double total, string? status = null)
        {
            lock (_tasks)
            {
                if (!_tasks.TryGetValue(task, out var bar))
                    _tasks[task] = bar = context.AddTask(Markup.Escape(task), maxValue: Math.Max(total, 1));
                bar.MaxValue = Math.Max(total, 1);
                bar.Value = Math.Min(done, bar.MaxValue);
                bar.Description = Markup.Escape(status is null ? task : $"{task}  {status}");
            }
        }

        public void Line(string text) => console.WriteLine(text);
    }
}
