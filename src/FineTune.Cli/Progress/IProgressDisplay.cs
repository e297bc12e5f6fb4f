namespace FineTune.Cli;

/// <summary>
/// Where a command shows long work (training, validating a big file, synthesis, evaluation). On an interactive
/// terminal <see cref="TerminalProgress"/> draws bars; where there is none (output redirected, CI, tests) a command
/// gets no display and prints its plain lines as before.
/// </summary>
public interface IProgressDisplay
{
    /// <summary>Runs <paramref name="work"/> with bars shown until it ends.</summary>
    Task<T> RunAsync<T>(Func<IProgressBars, Task<T>> work);
}

/// <summary>The bars of one <see cref="IProgressDisplay.RunAsync{T}"/>: one per task name, safe to call from any thread.</summary>
public interface IProgressBars
{
    /// <summary>Sets the bar of <paramref name="task"/> (added on first use) to <paramref name="done"/> of <paramref name="total"/>.</summary>
    void Report(string task, double done, double total, string? status = null);

    /// <summary>A line of text above the bars (an epoch's summary).</summary>
    void Line(string text);
}
