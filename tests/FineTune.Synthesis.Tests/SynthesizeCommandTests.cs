using System.CommandLine;
using System.Text.Json;
using FineTune.Cli;
using FineTune.Cli.Commands;
using FineTune.Synthesis.Tests.Support;

namespace FineTune.Synthesis.Tests;

/// <summary>`finetune synthesize` as a user types it, against the loopback server.</summary>
public sealed class SynthesizeCommandTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Task<(int Exit, string Out, string Err)> InvokeAsync(params string[] args) => InvokeAsync(null, args);

    private static async Task<(int Exit, string Out, string Err)> InvokeAsync(Func<TextWriter, IProgressDisplay?>? progress, params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(SynthesizeCommand.Create(progress));
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
            return (ExitCodes.Usage, "", string.Join("\n", parsed.Errors.Select(e => e.Message)));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Synthesize_WithJson_WritesDataAndPrintsTheReport()
    {
        var document = _temp["safety.md"];
        await File.WriteAllTextAsync(document, SafetyDocument.Text);
        var output = _temp["out.jsonl"];
        await using var server = await FakeOpenAIServer.StartAsync((request, context) => FakeOpenAIServer.Complete(context, SafetyDocument.ReplyFor(request.Prompt)));

        var (exit, stdout, stderr) = await InvokeAsync("synthesize", document, "--system", SafetyDocument.System, "--out", output,
            "--endpoint", server.BaseUrl.ToString(), "--model", "test-model", "--language", "en", "--chunk-size", "300", "--overlap", "0", "--json");

        Assert.True(exit == ExitCodes.Ok, stderr);
        using var report = JsonDocument.Parse(stdout);
        Assert.Equal(16, report.RootElement.GetProperty("pairs").GetProperty("kept").GetInt64());
        Assert.Equal(4, report.RootElement.GetProperty("chunks").GetProperty("total").GetInt32());
        Assert.Equal(16, (await File.ReadAllLinesAsync(output)).Length);
        Assert.All(server.Requests, r => Assert.Equal("test-model", r.Model));

        // The same command again resumes: no request, same data, a human summary.
        var (again, summary, _) = await InvokeAsync("synthesize", document, "--system", SafetyDocument.System, "--out", output,
            "--endpoint", server.BaseUrl.ToString(), "--model", "test-model", "--language", "en", "--chunk-size", "300", "--overlap", "0");
        Assert.Equal(ExitCodes.Ok, again);
        Assert.Equal(4, server.Requests.Count);
        Assert.Contains("4 total, 0 generated, 4 resumed, 0 failed", summary);
        Assert.Contains("16 kept", summary);
    }

    /// <summary>Records what a terminal display would draw.</summary>
    private sealed class RecordingDisplay : IProgressDisplay, IProgressBars
    {
        public List<(string Task, double Done, double Total)> Reports { get; } = [];
        public TextWriter? AskedFor { get; set; }

        public Task<T> RunAsync<T>(Func<IProgressBars, Task<T>> work) => work(this);

        public void Report(string task, double done, double total, string? status = null)
        {
            lock (Reports) Reports.Add((task, done, total));
        }

        public void Line(string text) { }
    }

    [Fact]
    public async Task Synthesize_OnATerminal_ReportsEveryChunkToTheProgressDisplay()
    {
        var document = _temp["safety.md"];
        await File.WriteAllTextAsync(document, SafetyDocument.Text);
        await using var server = await FakeOpenAIServer.StartAsync((request, context) => FakeOpenAIServer.Complete(context, SafetyDocument.ReplyFor(request.Prompt)));
        var display = new RecordingDisplay();

        var (exit, stdout, stderr) = await InvokeAsync(output => { display.AskedFor = output; return display; },
            "synthesize", document, "--system", SafetyDocument.System, "--out", _temp["out.jsonl"],
            "--endpoint", server.BaseUrl.ToString(), "--model", "test-model", "--language", "en", "--chunk-size", "300", "--overlap", "0");

        Assert.True(exit == ExitCodes.Ok, stderr);
        Assert.NotNull(display.AskedFor);
        Assert.Equal((0, 4), (display.Reports[0].Done, display.Reports[0].Total));
        Assert.Equal([1, 2, 3, 4], display.Reports.Skip(1).Select(r => r.Done).Order());
        Assert.All(display.Reports, r => Assert.Equal(("chunks", 4.0), (r.Task, r.Total)));
        Assert.Contains("4 total, 4 generated", stdout); // the summary is printed as without a display
    }

    [Theory]
    [InlineData("--out", "x.jsonl")] // no --system
    [InlineData("--system", "S")] // no --out
    [InlineData("--system", "S", "--out", "x.jsonl", "--language", "fr")]
    public async Task Synthesize_BadCommandLine_IsAUsageError(params string[] options)
    {
        var (exit, _, _) = await InvokeAsync(["synthesize", "doc.md", .. options]);

        Assert.Equal(ExitCodes.Usage, exit);
    }

    [Fact]
    public async Task Synthesize_MissingDocument_FailsWithAClearMessage()
    {
        var (exit, _, stderr) = await InvokeAsync("synthesize", _temp["nope.pdf"], "--system", "S", "--out", _temp["o.jsonl"],
            "--endpoint", "http://127.0.0.1:9/v1/", "--model", "m");

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("does not exist", stderr);
    }
}
