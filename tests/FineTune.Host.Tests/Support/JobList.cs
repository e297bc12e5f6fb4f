using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace FineTune.Host.Tests.Support;

/// <summary>Job listings and file-system helpers for the drop-folder and purge tests.</summary>
public static class JobList
{
    /// <summary>GET /api/jobs: every job the host knows.</summary>
    public static async Task<List<JsonObject>> ListAsync(TestHost host)
    {
        var jobs = await host.Client.GetFromJsonAsync<JsonArray>("/api/jobs?top=1000");
        return jobs!.Select(j => j!.AsObject()).ToList();
    }

    public static string? SourceName(JsonObject job) => job["input"]?["source"]?["name"]?.GetValue<string>();

    public static string? Error(JsonObject job) => job["output"]?["error"]?.GetValue<string>();

    /// <summary>Jobs whose input.source.name is <paramref name="name"/>.</summary>
    public static async Task<List<JsonObject>> ForAsync(TestHost host, string name) =>
        (await ListAsync(host)).Where(j => SourceName(j) == name).ToList();

    /// <summary>Polls the job list until <paramref name="until"/> holds for it.</summary>
    public static async Task<List<JsonObject>> WaitAsync(TestHost host, Func<List<JsonObject>, bool> until, int timeoutMs = 15_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        List<JsonObject> jobs = [];
        while (DateTime.UtcNow < deadline)
        {
            jobs = await ListAsync(host);
            if (until(jobs)) return jobs;
            await Task.Delay(200);
        }
        throw new TimeoutException($"the job list did not get there in {timeoutMs} ms: {string.Join(", ", jobs.Select(j => $"{SourceName(j)}={j["runtimeStatus"]}"))}");
    }

    /// <summary>Runs a command, failing the test when it fails.</summary>
    public static void Run(string exe, params string[] args)
    {
        var start = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var err = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{exe} failed ({process.ExitCode}): {err}");
    }

    /// <summary>rm -rf: .NET cannot name (so cannot delete) files whose names are not valid UTF-8.</summary>
    public static void RemoveTree(string path)
    {
        try { Run("rm", "-rf", path); }
        catch (Exception) { /* best effort */ }
    }
}
