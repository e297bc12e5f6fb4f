using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FineTune.Tests.Support;

/// <summary>
/// Runs the real Azurite emulator (npm `azurite`, installed into .tools/ by infra/local/setup.sh) on free ports,
/// blob, queue and table services, in memory, for the lifetime of a test fixture. A missing Azurite fails the test; it is never skipped.
/// </summary>
public sealed partial class Azurite : IAsyncLifetime
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

    public async Task InitializeAsync()
    {
        var script = Path.Combine(RepoPaths.Root, ".tools", "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
            throw new InvalidOperationException($"Azurite is not installed ({script} is missing): run `bash infra/local/setup.sh` first");
        _workDir = RepoPaths.NewTempDirectory("azurite");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = _workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { script, "--silent", "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry",
                     "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1", "--blobPort", "0", "--queuePort", "0", "--tablePort", "0" })
            start.ArgumentList.Add(arg);
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
                    if (match.Groups[1].Value == "Blob") BlobPort = port;
                    if (match.Groups[1].Value == "Queue") QueuePort = port;
                    if (match.Groups[1].Value == "Table") TablePort = port;
                }
                if (BlobPort > 0 && QueuePort > 0 && TablePort > 0) ready.TrySetResult();
            }
        }
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var finished = await Task.WhenAny(ready.Task, _process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30)));
        if (finished != ready.Task)
        {
            await DisposeAsync();
            lock (output)
                throw new InvalidOperationException($"Azurite did not start (run `bash infra/local/setup.sh`); its output:\n{output}");
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit(5000);
        _process?.Dispose();
        if (_workDir is not null)
        {
            try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
        }
        return Task.CompletedTask;
    }

    [GeneratedRegex(@"Azurite (Blob|Queue|Table) service is successfully listening at http://[^:]+:(\d+)")]
    private static partial Regex Listening();
}
