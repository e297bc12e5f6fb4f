using System.Diagnostics;

namespace FineTune.Tests.Support;

/// <summary>
/// Runs a script in an independent PyTorch (Debian's python3-torch, installed by infra/local/setup.sh)
/// and returns its stdout. Override the interpreter with FT_PYTHON.
/// </summary>
public static class PythonTorch
{
    public static string Interpreter => Environment.GetEnvironmentVariable("FT_PYTHON") ?? "/usr/bin/python3";

    public static string Run(string script) => Start(["-c", script]);

    /// <summary>Runs a script file with arguments.</summary>
    public static string RunFile(string path, params string[] args) => Start([path, .. args]);

    private static string Start(string[] arguments)
    {
        var psi = new ProcessStartInfo(Interpreter, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {Interpreter}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("python reference timed out"); }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{Interpreter} failed ({p.ExitCode}); is python3-torch installed? run infra/local/setup.sh.\n{stderr.Result}");
        return stdout.Result;
    }
}
