using Spectre.Console.Testing;

namespace FineTune.Cli.Tests;

/// <summary>The progress seam: Spectre bars only on a terminal, plain output everywhere else.</summary>
public sealed class ProgressTests
{
    [Fact]
    public void For_OutputThatIsNotTheConsole_GivesNoDisplay()
    {
        Assert.Null(TerminalProgress.For(new StringWriter()));
    }

    [Fact]
    public void For_ConsoleRedirected_GivesNoDisplay()
    {
        // Under the test runner stdout is a pipe, as in CI and the local training backend.
        Assert.True(Console.IsOutputRedirected);
        Assert.Null(TerminalProgress.For(Console.Out));
    }

    [Fact]
    public async Task RunAsync_DrawsEachTaskAndLine_AndReturnsTheWorksResult()
    {
        var console = new TestConsole().Interactive().Width(120);
        var result = await new TerminalProgress(console).RunAsync(bars =>
        {
            bars.Report("train", 0, 40, "epoch 0.00");
            bars.Line("epoch 1: train loss 1.2345");
            bars.Report("train", 40, 40, "epoch 1.00 loss 0.5000");
            bars.Report("base", 3, 3);
            return Task.FromResult(42);
        });

        Assert.Equal(42, result);
        var text = console.Output;
        Assert.Contains("epoch 1: train loss 1.2345", text);
        Assert.Contains("train  epoch 1.00 loss 0.5000", text);
        Assert.Contains("base", text);
        Assert.Contains("100%", text);
    }

    [Fact]
    public async Task ReadProgressStream_ReportsTheBytesRead_AndPassesThemThrough()
    {
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        var seen = new List<long>();
        using var stream = new ReadProgressStream(new MemoryStream(data), seen.Add);

        var copy = new MemoryStream();
        await stream.CopyToAsync(copy, 4096);

        Assert.Equal(data, copy.ToArray());
        Assert.Equal(data.Length, seen[^1]);
        Assert.Equal(seen.Order(), seen);
        Assert.True(seen.Count >= data.Length / 4096, $"one report per read, got {seen.Count}");
    }
}
