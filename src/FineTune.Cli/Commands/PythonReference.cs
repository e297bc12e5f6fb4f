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

    /// <summary>The greedy-generation reference shipped beside the executable (Bench/torch_generate_ref.py).</summary>
    public static string GenerateScript => Path.Combine(AppContext.BaseDirectory, "Bench", "torch_generate_ref.py");
}
