using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FineTune.Tests.Support;

namespace FineTune.Console.Tests.Support;

/// <summary>
/// A real `dotnet finetune.dll serve` (the built CLI) on a free loopback port, with the local training backend, so the
/// console is tested as users get it: the pipeline, the trainer and the OpenAI-compatible serving all run.
/// </summary>
public sealed partial class ConsoleServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ConsoleServer(Process process) => _process = process;

    public Uri BaseUri { get; private set; } = null!;
    public string Output { get { lock (_output) return _output.ToString(); } }

    public static string FinetuneDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // …/bin/{Debug|Release}/net10.0
        var dll = Path.Combine(RepoPaths.Root, "src", "FineTune.Cli", "bin", configuration, "net10.0", "finetune.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing: build src/FineTune.Cli ({configuration}) first");
    }

    /// <summary>`finetune model init --arch qwen2`: a tiny random model (no download).</summary>
    public static async Task InitModelAsync(string directory)
    {
        using var init = Process.Start(new ProcessStartInfo("dotnet", [FinetuneDll(), "model", "init", "--arch", "qwen2", "--out", directory])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stderr = init.StandardError.ReadToEndAsync();
        await init.StandardOutput.ReadToEndAsync();
        await init.WaitForExitAsync();
        if (init.ExitCode != 0) throw new InvalidOperationException($"finetune model init failed: {await stderr}");
    }

    /// <param name="model">Served at /v1 (and trainable) when given.</param>
    public static async Task<ConsoleServer> StartAsync(string dataDirectory, string? model, IReadOnlyDictionary<string, string>? environment = null)
    {
        Directory.CreateDirectory(dataDirectory);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            // Not the data folder itself: there `finetune train --spec jobs/…/spec.json` (the local backend's child) would find the
            // blob's file by its relative path and read it as a local spec instead of through FINETUNE_STORAGE.
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dataDirectory)) };
        string[] args = [FinetuneDll(), "serve", "--data-dir", dataDirectory, "--urls", "http://127.0.0.1:0", "--script-root", dataDirectory];
        foreach (var arg in model is null ? args : [.. args, "--model", model]) start.ArgumentList.Add(arg);
        start.Environment["Pipeline__Training__Backend"] = "local";
        start.Environment["Pipeline__TrainingPollInterval"] = "00:00:01";
        start.Environment["DOTNET_TieredPGO"] = "0";
        // Its own temp folder for the host and the trainer/evaluator it starts (their work folders live under it), so no other
        // process on a shared machine that tidies /tmp/finetune-work pulls a folder from under a running evaluation.
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataDirectory))!, "tmp");
        Directory.CreateDirectory(temp);
        start.Environment["TMPDIR"] = temp;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var server = new ConsoleServer(process);
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (server._output) server._output.AppendLine(line);
            if (Listening().Match(line) is { Success: true } m) ready.TrySetResult(new Uri(m.Groups[1].Value));
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var first = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(90)));
        if (first != ready.Task)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"finetune serve did not start; output:\n{server.Output}");
        }
        server.BaseUri = await ready.Task;
        return server;
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        }
        _process.Dispose();
    }
}
