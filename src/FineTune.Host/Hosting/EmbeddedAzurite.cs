using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace FineTune.Host.Hosting;

/// <summary>
/// The embedded default's storage: the real Azurite emulator (npm `azurite`, installed into .tools/ by infra/local/setup.sh,
/// or the script named by FINETUNE_AZURITE), started on free loopback ports with its data under DATA/.azurite, and stopped on
/// dispose: SIGTERM first, since Azurite keeps its metadata (blob names, queues, tables: the jobs' Durable history too)
/// in memory and saves it every 5 s and on a clean shutdown, so a kill loses the last seconds of writes. An Azurite left running by a host that was killed is stopped first (its pid is kept in DATA/.azurite/pid; the process
/// is checked to be that Azurite before it is stopped, since pids are reused).
/// `--skipApiVersionCheck`: Azure.Storage.Blobs 12.30 speaks a newer API version than Azurite 3 knows.
/// </summary>
public sealed partial class EmbeddedAzurite : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly Process _process;
    private readonly string _pidFile;
    private readonly Task _closed;

    private EmbeddedAzurite(Process process, string pidFile, Task closed, int blob, int queue, int table)
    {
        _process = process;
        _pidFile = pidFile;
        _closed = closed;
        ConnectionString = ConnectionStringFor(blob, queue, table);
    }

    /// <summary>The emulator's well-known development account on this instance's ports (no secret: the key is public).</summary>
    public string ConnectionString { get; }

    /// <summary>The development account on given loopback ports (a service left out when its port is 0).</summary>
    public static string ConnectionStringFor(int blobPort, int queuePort = 0, int tablePort = 0) =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + AccountKey + ";" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;" +
        (queuePort > 0 ? $"QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" : "") +
        (tablePort > 0 ? $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;" : "");

    public static async Task<EmbeddedAzurite> StartAsync(string dataDirectory, CancellationToken ct = default)
    {
        var script = FindScript() ?? throw new InvalidOperationException(
            "Azurite is not installed: run `bash infra/local/setup.sh` (it installs azurite into .tools/), set FINETUNE_AZURITE to azurite.js, or give --storage");
        var folder = Path.Combine(dataDirectory, ".azurite");
        Directory.CreateDirectory(folder);
        var pidFile = Path.Combine(folder, "pid");
        StopLeftover(pidFile, folder);
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
        foreach (var arg in new[] { script, "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--location", folder,
                     "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1", "--blobPort", "0", "--queuePort", "0", "--tablePort", "0" })
            start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run node for Azurite ({e.Message}): run `bash infra/local/setup.sh`", e);
        }
        await File.WriteAllTextAsync(pidFile, process.Id.ToString(CultureInfo.InvariantCulture), ct);
        var ports = new Dictionary<string, int>();
        var output = new StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closedServices = 0;
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (ports)
            {
                if (output.Length < 8192) output.AppendLine(line);
                if (Listening().Match(line) is { Success: true } m) ports[m.Groups[1].Value] = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                if (ports.Count == 3) ready.TrySetResult();
                if (Closed().IsMatch(line) && ++closedServices == 3) closed.TrySetResult();
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var finished = await Task.WhenAny(ready.Task, process.WaitForExitAsync(ct), Task.Delay(TimeSpan.FromSeconds(60), ct));
        if (finished != ready.Task)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            lock (ports) throw new InvalidOperationException($"Azurite did not start; its output:\n{output}");
        }
        lock (ports) return new EmbeddedAzurite(process, pidFile, closed.Task, ports["Blob"], ports["Queue"], ports["Table"]);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A clean shutdown saves the metadata; the kill after it (or after 10 s) ends a process that lingers.
            if (!OperatingSystem.IsWindows() && SendSignal(_process.Id, SigTerm) == 0)
                await Task.WhenAny(_closed, _process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(10)));
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        _process.Dispose();
        try { File.Delete(_pidFile); } catch (IOException) { }
    }

    private static void StopLeftover(string pidFile, string folder)
    {
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile), out var pid)) return;
        try
        {
            using var old = Process.GetProcessById(pid);
            if (!old.HasExited && IsAzuriteOf(old, folder))
            {
                old.Kill(entireProcessTree: true);
                old.WaitForExit(10_000);
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // gone already
        }
    }

    // Whether a process is the Azurite started on this data folder, not another process that was given the pid since (pids
    // are reused, 32,768 of them on many Linux machines): on Linux by its command line, elsewhere by its name alone.
    private static bool IsAzuriteOf(Process process, string folder)
    {
        var cmdline = $"/proc/{process.Id}/cmdline";
        if (!File.Exists(cmdline)) return process.ProcessName == "node";
        try
        {
            var args = File.ReadAllText(cmdline).Split('\0');
            return args.Any(a => a.EndsWith("azurite.js", StringComparison.Ordinal)) &&
                   args.Zip(args.Skip(1)).Any(p => p.First == "--location" && p.Second == folder);
        }
        catch (IOException)
        {
            return false;   // it ended meanwhile
        }
    }

    private static string? FindScript()
    {
        if (Environment.GetEnvironmentVariable("FINETUNE_AZURITE") is { Length: > 0 } given && File.Exists(given)) return given;
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var script = Path.Combine(dir.FullName, ".tools", "node_modules", "azurite", "dist", "src", "azurite.js");
                if (File.Exists(script)) return script;
            }
        return null;
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);

    [GeneratedRegex(@"Azurite (Blob|Queue|Table) service successfully closed")]
    private static partial Regex Closed();

    [GeneratedRegex(@"Azurite (Blob|Queue|Table) service is successfully listening at http://[^:]+:(\d+)")]
    private static partial Regex Listening();
}
