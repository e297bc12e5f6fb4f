using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FineTune.Host.Hosting;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Logging;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune bench pipeline`: drop → first status latency of the self-hosted host (Durable sidecar over the embedded Azurite):
/// a blob written to the uploads container, and a file moved into the local drop folder (which waits SettleTime), each until
/// GET /api/jobs/{id} stops answering 404. Goal: blob drops under 1 s median.
/// </summary>
public static class BenchPipelineCommand
{
    public static Command Create()
    {
        var drops = new Option<int>("--drops") { Description = "Blobs dropped, one at a time", DefaultValueFactory = _ => 20 };
        var storage = new Option<string?>("--storage") { Description = "Connection string of a running Azurite/Azure account (default: the embedded Azurite)" };
        var command = new Command("pipeline", "Drop → first status latency (blob and folder drops).");
        command.Options.Add(drops);
        command.Options.Add(storage);
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var n = pr.GetValue(drops);
            if (n < 1)
            {
                Console.Error.WriteLine("finetune bench pipeline: --drops must be at least 1");
                return ExitCodes.Usage;
            }
            var dir = Path.Combine(Path.GetTempPath(), $"finetune-bench-pipeline-{Guid.NewGuid():N}");
            Directory.CreateDirectory(Path.Combine(dir, Containers.Uploads));
            try
            {
                var results = await MeasureAsync(dir, pr.GetValue(storage), n, ct);
                results["goal_ms"] = 1000;
                Console.WriteLine(JsonSerializer.Serialize(results));
                return ExitCodes.Ok;
            }
            finally
            {
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            }
        });
        return command;
    }

    private static async Task<Dictionary<string, object>> MeasureAsync(string dataDir, string? connection, int drops, CancellationToken ct)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var settings = HostSettingsLoader.Load(dataDir, connection, url, dataDir);
        await using var host = await FineTuneHost.BuildAsync(settings, b => b.Logging.SetMinimumLevel(LogLevel.Error), ct);
        await host.StartAsync(ct);
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var data = string.Concat(Enumerable.Range(0, 20).Select(i =>
            $"{{\"messages\":[{{\"role\":\"user\",\"content\":\"q{i}\"}},{{\"role\":\"assistant\",\"content\":\"a{i}\"}}]}}\n"));
        var random = new Random(1);
        var blob = new List<double>();
        for (var i = 0; i < drops; i++)
        {
            await Task.Delay(200 + random.Next(300), ct); // drops land at arbitrary points of the scan cycle
            var name = $"bench-{Guid.NewGuid():N}.jsonl";
            var written = await host.Storage.Blobs.UploadTextAsync(Containers.Uploads, name, data, ct: ct);
            var start = Stopwatch.GetTimestamp();
            await WaitForStatusAsync(http, JobPaths.IdFor(Containers.Uploads, name, written.ETag), ct);
            blob.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        // A user's `mv` into the drop folder: complete once unchanged for SettleTime, then uploaded.
        var folder = new List<double>();
        for (var i = 0; i < Math.Min(drops, 5); i++)
        {
            var name = $"bench-folder-{Guid.NewGuid():N}.jsonl";
            var staged = Path.Combine(dataDir, name);
            await File.WriteAllTextAsync(staged, data, ct);
            var start = Stopwatch.GetTimestamp();
            File.Move(staged, Path.Combine(dataDir, Containers.Uploads, name));
            BlobProperties? props;
            while ((props = await host.Storage.Blobs.GetPropertiesAsync(Containers.Uploads, name, ct)) is null) await Task.Delay(20, ct);
            await WaitForStatusAsync(http, JobPaths.IdFor(Containers.Uploads, name, props.ETag), ct);
            folder.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        await host.App.StopAsync(CancellationToken.None);
        return new Dictionary<string, object> { ["blob"] = Summary("blob drops", blob), ["folder"] = Summary("folder drops (incl. settle time)", folder) };
    }

    private static async Task WaitForStatusAsync(HttpClient http, string id, CancellationToken ct)
    {
        while (true)
        {
            using var response = await http.GetAsync($"api/jobs/{id}", ct);
            if (response.StatusCode != HttpStatusCode.NotFound) return;
            await Task.Delay(5, ct);
        }
    }

    private static object Summary(string label, List<double> latencies)
    {
        latencies.Sort();
        double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
        var result = new { drops = latencies.Count, median_ms = Math.Round(Percentile(0.5), 1), p95_ms = Math.Round(Percentile(0.95), 1), max_ms = Math.Round(latencies[^1], 1) };
        Console.WriteLine($"{label}: median {result.median_ms} ms, p95 {result.p95_ms} ms, max {result.max_ms} ms over {latencies.Count} drops");
        return result;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
