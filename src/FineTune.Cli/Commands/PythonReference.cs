using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FineTune.Cli.Commands;

/// <summary>
/// Runs a plain-PyTorch reference script beside a benchmark and reads the one JSON object it prints on its
/// last line. Failures come back as a message, so a benchmark still reports its own figures.
/// </summary>
public static class PythonReference
{
    public static (JsonNode? Result, string? Error) Run(string python, IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0) return (null, $"{python} exited with {p.ExitCode}: {stderr.Result.Trim().Split('\n').LastOrDefault()}");
            var last = stdout.Result.Trim().Split('\n').LastOrDefault();
            return string.IsNullOrEmpty(last) ? (null, $"{python} printed nothing") : (JsonNode.Parse(last), null);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or JsonException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>
    /// Starts a reference script in its <c>--serve</c> mode: it warms up, prints one JSON line (<c>{"ready": true}</c>),
    /// then measures again for each line it reads. Null with a message when it could not start or warm up.
    /// </summary>
    public static (ReferenceSession? Session, string? Error) Start(string python, IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--serve");
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { return (null, e.Message); }
        var session = new ReferenceSession(p, python);
        var (ready, error) = session.ReadLine();
        if (ready is null)
        {
            session.Dispose();
            return (null, error);
        }
        return (session, null);
    }

    /// <summary>The greedy-generation reference shipped beside the executable (Bench/torch_generate_ref.py).</summary>
    public static string GenerateScript => Path.Combine(AppContext.BaseDirectory, "Bench", "torch_generate_ref.py");
}

/// <summary>A reference script kept running between measurements (<see cref="PythonReference.Start"/>).</summary>
public sealed class ReferenceSession : IDisposable
{
    private readonly Process _process;
    private readonly string _python;
    private readonly System.Text.StringBuilder _stderr = new();

    internal ReferenceSession(Process process, string python)
    {
        _process = process;
        _python = python;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>One more measurement: its JSON object, or null with a message once the script has failed.</summary>
    public (JsonNode? Result, string? Error) Measure()
    {
        if (_process.HasExited) return (null, Exited());
        try
        {
            _process.StandardInput.WriteLine("run");
            _process.StandardInput.Flush();
        }
        catch (IOException) { return (null, Exited()); }
        return ReadLine();
    }

    internal (JsonNode? Result, string? Error) ReadLine()
    {
        var line = _process.StandardOutput.ReadLine();
        if (line is null)
        {
            _process.WaitForExit();
            return (null, Exited());
        }
        try { return (JsonNode.Parse(line), null); }
        catch (JsonException e) { return (null, $"{_python} printed a line that is not JSON ({e.Message}): {line}"); }
    }

    private string Exited()
    {
        _process.WaitForExit();
        string last;
        lock (_stderr) last = _stderr.ToString().Trim().Split('\n').LastOrDefault() ?? "";
        return last.Length > 0 ? $"{_python} exited with {_process.ExitCode}: {last}" : $"{_python} exited with {_process.ExitCode}";
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Close();
                if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException) { }
        _process.Dispose();
    }
}
