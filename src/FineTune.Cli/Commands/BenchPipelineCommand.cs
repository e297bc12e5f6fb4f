using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using FineTune.Host.Hosting;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Logging;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune bench pipeline`: latency from a blob drop to the job's first status (GET /api/jobs/{id} answering) on the
/// embedded store (a file moved into DIR/uploads/) and on Azurite (a Put Blob), with the host's default trigger settings.
/// Azurite: --storage, or the emulator installed by infra/local/setup.sh, started on free ports for the run.
/// </summary>
public static class BenchPipelineCommand
{
    public static Command Create()
    {
        var store = new Option<string>("--store") { Description = "files, azurite or both", DefaultValueFactory = _ => "both" };
        var drops = new Option<int>("--drops") { Description = "Files dropped per store, one at a time", DefaultValueFactory = _ => 20 };
        var storage = new Option<string?>("--storage") { Description = "Connection string of a running Azurite/Azure account (default: start Azurite from .tools/)" };
        var command = new Command("pipeline", "Latency from blob drop to the job's first status (median, p95) on the embedded store and Azurite.");
        command.Options.Add(store);
        command.Options.Add(drops);
        command.Options.Add(storage);
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var which = pr.GetValue(store)!;
            var n = pr.GetValue(drops);
            if (which is not ("files" or "azurite" or "both") || n < 1)
            {
                Console.Error.WriteLine("finetune bench pipeline: --store is files, azurite or both; --drops at least 1");
                return ExitCodes.Usage;
            }
            var results = new Dictionary<string, object>();
            if (which is "files" or "both")
            {
                var dir = Path.Combine(Path.GetTempPath(), $"finetune-bench-{Guid.NewGuid():N}");
                try { results["files"] = await MeasureAsync("files", dir, null, n, ct); }
                finally { Directory.Delete(dir, recursive: true); }
            }
            if (which is "azurite" or "both")
            {
                var connection = pr.GetValue(storage);
                Process? azurite = null;
                try
                {
                    if (connection is null) (azurite, connection) = await StartAzuriteAsync(ct);
                    results["azurite"] = await MeasureAsync("azurite", Path.GetTempPath(), connection, n, ct);
                }
                catch (InvalidOperationException e)
                {
                    Console.Error.WriteLine($"finetune bench pipeline: {e.Message}");
                    return ExitCodes.Failed;
                }
                finally
                {
                    if (azurite is { HasExited: false }) azurite.Kill(entireProcessTree: true);
                }
            }
            results["goal_ms"] = 1000;
            Console.WriteLine(JsonSerializer.Serialize(results));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<object> MeasureAsync(string label, string dataDir, string? connection, int drops, CancellationToken ct)
    {
        var scriptRoot = Path.Combine(Path.GetTempPath(), $"finetune-bench-root-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scriptRoot);
        var settings = HostSettingsLoader.Load(connection is null ? dataDir : null, connection, "http://127.0.0.1:0", scriptRoot);
        var app = FineTuneHost.Build(settings, b => b.Logging.SetMinimumLevel(LogLevel.Error));
        await app.StartAsync(ct);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            var account = connection is null ? StorageAccount.FromDirectory(dataDir) : StorageAccount.FromConnectionString(connection);
            var data = string.Concat(Enumerable.Range(0, 20).Select(i =>
                $"{{\"messages\":[{{\"role\":\"user\",\"content\":\"q{i}\"}},{{\"role\":\"assistant\",\"content\":\"a{i}\"}}]}}\n"));
            var latencies = new List<double>();
            var random = new Random(1);
            for (var i = 0; i < drops; i++)
            {
                await Task.Delay(200 + random.Next(300), ct); // drops land at arbitrary points of the scan cycle
                var name = $"bench-{label}-{Guid.NewGuid():N}.jsonl";
                long start;
                string etag;
                if (connection is null)
                {
                    // A user's `mv` into the drop zone: the file appears whole.
                    var staged = Path.Combine(dataDir, $"staged-{name}");
                    await File.WriteAllTextAsync(staged, data, ct);
                    start = Stopwatch.GetTimestamp();
                    File.Move(staged, Path.Combine(dataDir, Containers.Uploads, name));
                    etag = (await account.Blobs.GetPropertiesAsync(Containers.Uploads, name, ct))!.ETag;
                }
                else
                {
                    var written = await account.Blobs.UploadTextAsync(Containers.Uploads, name, data, ct: ct);
                    start = Stopwatch.GetTimestamp();
                    etag = written.ETag;
                }
                var id = JobPaths.IdFor(Containers.Uploads, name, etag);
                while (true)
                {
                    using var response = await http.GetAsync($"api/jobs/{id}", ct);
                    if (response.StatusCode != HttpStatusCode.NotFound) break;
                    await Task.Delay(5, ct);
                }
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            latencies.Sort();
            double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
            var result = new { drops, median_ms = Math.Round(Percentile(0.5), 1), p95_ms = Math.Round(Percentile(0.95), 1), max_ms = Math.Round(latencies[^1], 1) };
            Console.WriteLine($"{label}: median {result.median_ms} ms, p95 {result.p95_ms} ms, max {result.max_ms} ms over {drops} drops");
            return result;
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            Directory.Delete(scriptRoot, recursive: true);
        }
    }

    private static async Task<(Process, string)> StartAzuriteAsync(CancellationToken ct)
    {
        string? script = null;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null && script is null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tools", "node_modules", "azurite", "dist", "src", "azurite.js");
            if (File.Exists(candidate)) script = candidate;
        }
        if (script is null) throw new InvalidOperationException("Azurite not found under .tools/: run `bash infra/local/setup.sh`, or pass --storage");
        var work = Path.Combine(Path.GetTempPath(), $"finetune-bench-azurite-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        var start = new ProcessStartInfo("node") { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { script, "--silent", "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry",
                     "--blobPort", FreePort().ToString(), "--queuePort", FreePort().ToString(), "--tablePort", "0" })
            start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        int blob = 0, queue = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((blob == 0 || queue == 0) && DateTime.UtcNow < deadline)
        {
            var line = await process.StandardOutput.ReadLineAsync(ct);
            if (line is null) break;
            var m = Regex.Match(line, @"Azurite (Blob|Queue) service is successfully listening at http://[^:]+:(\d+)");
            if (m.Success && m.Groups[1].Value == "Blob") blob = int.Parse(m.Groups[2].Value);
            if (m.Success && m.Groups[1].Value == "Queue") queue = int.Parse(m.Groups[2].Value);
        }
        if (blob == 0 || queue == 0) throw new InvalidOperationException("Azurite did not start");
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var connection = $"DefaultEndpointsProtocol=http;AccountName={Pipeline.Storage.Azure.StorageConnectionString.DevelopmentAccount};" +
                         $"AccountKey={Pipeline.Storage.Azure.StorageConnectionString.DevelopmentKey};" +
                         $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;";
        return (process, connection);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
