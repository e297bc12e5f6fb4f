using Xunit;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FineTune.Tests.Support;

/// <summary>
/// Runs the real Azurite emulator (npm `azurite`, installed into .tools/ by infra/local/setup.sh) on free ports,
/// blob, queue and table services, in memory, for the lifetime of a test fixture. A missing Azurite fails the test; it is never skipped.
/// </summary>
public sealed partial class Azurite : IAsyncLifetime, IAsyncDisposable
{
    private Process? _process;
    private string? _workDir;

    public int BlobPort { get; private set; }
    public int QueuePort { get; private set; }
    public int TablePort { get; private set; }

    public string ConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    /// <summary>Keep the data in a folder (not in memory), so the emulator can be killed and started again with it (<see cref="RestartAsync"/>).</summary>
    public bool Persistent { get; init; }

    public async Task InitializeAsync()
    {
        _workDir = RepoPaths.NewTempDirectory("azurite");
        await StartAsync();
    }

    /// <summary>
    /// Stops the emulator (storage down); its data stays when <see cref="Persistent"/>. SIGTERM first: Azurite keeps its
    /// metadata in memory and saves it every 5 s and on a clean shutdown, so a plain kill would lose the last writes.
    /// </summary>
    public void Kill()
    {
        if (_process is { HasExited: false } && Persistent && !OperatingSystem.IsWindows())
        {
            using var term = Process.Start("kill", ["-TERM", _process.Id.ToString()]);
            term?.WaitForExit(5000);
            _process.WaitForExit(10_000);
        }
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit(5000);
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts the emulator again on the same ports (storage back).</summary>
    public Task RestartAsync()
    {
        Kill();
        return StartAsync();
    }

    private async Task StartAsync()
    {
        var script = Path.Combine(RepoPaths.Root, ".tools", "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
            throw new InvalidOperationException($"Azurite is not installed ({script} is missing): run `bash infra/local/setup.sh` first");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = _workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { script, "--silent", "--skipApiVersionCheck", "--disableTelemetry",
                     "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
                     "--blobPort", $"{BlobPort}", "--queuePort", $"{QueuePort}", "--tablePort", $"{TablePort}" })
            start.ArgumentList.Add(arg);
        if (Persistent)
        {
            start.ArgumentList.Add("--location");
            start.ArgumentList.Add(_workDir!);
        }
        else
        {
            start.ArgumentList.Add("--inMemoryPersistence");
        }
        int blob = 0, queue = 0, table = 0;
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run node for Azurite ({e.Message}): run `bash infra/local/setup.sh` first", e);
        }
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (output)
            {
                output.AppendLine(line);
                var match = Listening().Match(line);
                if (match.Success)
                {
                    var port = int.Parse(match.Groups[2].Value);
                    if (match.Groups[1].Value == "Blob") blob = port;
                    if (match.Groups[1].Value == "Queue") queue = port;
                    if (match.Groups[1].Value == "Table") table = port;
                }
                if (blob > 0 && queue > 0 && table > 0)
                {
                    (BlobPort, QueuePort, TablePort) = (blob, queue, table);
                    ready.TrySetResult();
                }
            }
        }
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var started = Stopwatch.StartNew();
        var finished = await Task.WhenAny(ready.Task, _process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (finished != ready.Task)
        {
            // Say which: it ended (with its exit code), or it did not report its three ports in time.
            var why = _process.HasExited ? $"it exited with code {_process.ExitCode}" : $"no ports after {started.Elapsed.TotalSeconds:F0} s";
            Kill();
            lock (output)
                throw new InvalidOperationException($"Azurite did not start ({why}; run `bash infra/local/setup.sh` if it is missing); its output:\n{output}");
        }
    }

    public Task DisposeAsync()
    {
        Kill();
        if (_workDir is not null)
        {
            try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
        }
        return Task.CompletedTask;
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    [GeneratedRegex(@"Azurite (Blob|Queue|Table) service is successfully listening at http://[^:]+:(\d+)")]
    private static partial Regex Listening();
}
