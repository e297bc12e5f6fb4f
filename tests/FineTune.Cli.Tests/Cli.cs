using System.Diagnostics;

namespace FineTune.Cli.Tests;

/// <summary>Runs the real `finetune` executable (built beside the tests) and captures what it prints.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>The JSON object a verb prints on its last line (the bench verbs' summary).</summary>
        public System.Text.Json.Nodes.JsonNode LastLineJson => System.Text.Json.Nodes.JsonNode.Parse(Stdout.Trim().Split('\n')[^1])!;
    }

    public static Result Run(IEnumerable<string> args, IDictionary<string, string>? env = null, string? stdin = null, int timeoutSeconds = 300)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "finetune.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(timeoutSeconds * 1000)) { p.Kill(true); throw new TimeoutException($"finetune {string.Join(' ', args)} ran over {timeoutSeconds} s"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result Run(params string[] args) => Run((IEnumerable<string>)args);
}
