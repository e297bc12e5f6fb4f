using System.Diagnostics;
using System.Text.Json.Nodes;
using FineTune.Host.Jobs;
using FineTune.Host.Tests.Support;
using FineTune.Tests.Support;

namespace FineTune.Host.Tests;

/// <summary>`finetune jobs` and `finetune functions pack`, run as the built CLI against a real host.</summary>
public sealed class CliTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        start.ArgumentList.Add(ServeProcess.FinetuneDll());
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task JobsSubmitWait_TwoFilesWithManifest_PrintsIdsAndExits1WhenJobsFail()
    {
        await using var host = await TestHost.StartAsync();
        var dir = RepoPaths.NewTempDirectory("cli");
        File.WriteAllText(Path.Combine(dir, "a.jsonl"), ChatData.Valid());
        File.WriteAllText(Path.Combine(dir, "b.jsonl"), ChatData.WithTwoInvalidLines());
        File.WriteAllText(Path.Combine(dir, "run.job.json"), """{"invalidLines":"drop","baseModel":"models/none"}""");
        var (code, stdout, stderr) = await RunAsync(dir, "jobs", "submit", "a.jsonl", "b.jsonl", "run.job.json", "--wait", "--url", host.BaseUrl);
        Assert.True(code == 1, $"exit {code}\n{stdout}\n{stderr}");
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("a.jsonl\t", lines[0]);
        Assert.StartsWith("b.jsonl\t", lines[1]);
        var idB = lines[1].Split('\t')[1];
        // Both fail before any stage runs: the manifest's base model does not exist, and the error says so.
        var status = await new JobApiClient(host.Client).StatusAsync(idB, history: false, CancellationToken.None);
        Assert.Equal("validate", status["output"]!["stage"]!.GetValue<string>());
        Assert.Contains("models/none", status["output"]!["error"]!.GetValue<string>());
        Assert.Equal("drop", status["input"]!["manifest"]!["invalidLines"]!.GetValue<string>());

        var (listCode, listOut, _) = await RunAsync(dir, "jobs", "list", "--status", "Failed", "--url", host.BaseUrl);
        Assert.Equal(0, listCode);
        Assert.Contains(idB, listOut);
        var (missingCode, _, missingErr) = await RunAsync(dir, "jobs", "status", "00000000000000000000000000000000", "--url", host.BaseUrl);
        Assert.Equal(2, missingCode);
        Assert.Contains("404", missingErr);
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task Serve_BeyondLoopbackWithoutKey_ExitsWithUsageError()
    {
        var dir = RepoPaths.NewTempDirectory("serve");
        var (code, _, stderr) = await RunAsync(dir, "serve", "--data-dir", dir, "--urls", "http://0.0.0.0:0", "--script-root", dir);
        Assert.Equal(2, code);
        Assert.Contains("API key is required", stderr);
        Directory.Delete(dir, true);
    }
}
