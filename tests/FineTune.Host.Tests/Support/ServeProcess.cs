using System.Diagnostics;
using System.Text;
using FineTune.Tests.Support;

namespace FineTune.Host.Tests.Support;

/// <summary>`dotnet finetune.dll serve` as a child process (the built CLI), for tests that kill hosts.</summary>
public sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process) => _process = process;

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    /// <summary>The address the host printed it listens on (port 0 resolved).</summary>
    public string Url { get; private set; } = "";
    public string Output { get { lock (_output) return _output.ToString(); } }

    public static string FinetuneDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // …/bin/{Debug|Release}/net10.0
        var dll = Path.Combine(RepoPaths.Root, "src", "FineTune.Cli", "bin", configuration, "net10.0", "finetune.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} is missing: build src/FineTune.Cli ({configuration}) first");
        return dll;
    }

    public static async Task<ServeProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout,
        string? storage = null, IReadOnlyList<string>? arguments = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dataDirectory };
        foreach (var arg in new[] { FinetuneDll(), "serve", "--data-dir", dataDirectory, "--urls", "http://127.0.0.1:0", "--script-root", dataDirectory })
            start.ArgumentList.Add(arg);
        if (storage is not null)
        {
            start.ArgumentList.Add("--storage");
            start.ArgumentList.Add(storage);
        }
        foreach (var arg in arguments ?? []) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        start.Environment["DOTNET_TieredPGO"] = "0";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var serve = new ServeProcess(process);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (serve._output) serve._output.AppendLine(line);
            var at = line.IndexOf("finetune serve: listening on ", StringComparison.Ordinal);
            if (at >= 0)
            {
                serve.Url = line[(at + "finetune serve: listening on ".Length)..].Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries)[0];
                ready.TrySetResult();
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var first = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(timeout));
        if (first != ready.Task)
        {
            serve.Kill();
            throw new InvalidOperationException($"finetune serve did not start; output:\n{serve.Output}");
        }
        return serve;
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
