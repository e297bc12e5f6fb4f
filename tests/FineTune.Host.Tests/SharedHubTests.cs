using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FineTune.Host.Tests.Support;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using Xunit.Abstractions;

namespace FineTune.Host.Tests;

/// <summary>
/// Several `finetune serve` processes on one task hub (Durable's partitions share the work), and the storage account
/// going away mid-job. The trainer here is `/bin/false`: every job runs Validate, Prepare and the start and checks of a
/// training run on the local backend, and fails at Train with the exit code, quickly.
/// </summary>
public sealed class SharedHubTests(ITestOutputHelper output)
{
    private static Dictionary<string, string> Environment() => new()
    {
        ["Pipeline__Training__Executable"] = "/bin/false",
        ["Pipeline__ScanInterval"] = "00:00:00.2",
        ["Pipeline__TrainingPollInterval"] = "00:00:00.3",
        ["Pipeline__MaxTrainingPollInterval"] = "00:00:01",
        ["Pipeline__ActivityFirstRetry"] = "00:00:00.5",
    };

    private static async Task SeedAsync(StorageAccount storage)
    {
        await storage.EnsureCreatedAsync();
        await storage.Blobs.UploadTextAsync(Containers.Models, "tiny/config.json", "{}");
        await storage.Blobs.UploadTextAsync(Containers.Uploads, "run.job.json", """{"baseModel":"models/tiny"}""");
    }

    [Fact]
    public async Task TwoHosts_FiftyFilesAtOnce_FiftyJobsNoneLostOrDuplicated_BothHostsWorked()
    {
        await using var azurite = new Azurite();
        await azurite.InitializeAsync();
        var storage = StorageAccount.FromSetting(azurite.ConnectionString);
        await SeedAsync(storage);
        var dirs = new[] { RepoPaths.NewTempDirectory("hub-a"), RepoPaths.NewTempDirectory("hub-b") };
        using var a = await ServeProcess.StartAsync(dirs[0], Environment(), TimeSpan.FromSeconds(90), azurite.ConnectionString);
        using var b = await ServeProcess.StartAsync(dirs[1], Environment(), TimeSpan.FromSeconds(90), azurite.ConnectionString);

        var names = Enumerable.Range(0, 50).Select(i => $"f{i:00}.jsonl").ToList();
        await Task.WhenAll(names.Select(n => storage.Blobs.UploadTextAsync(Containers.Uploads, n, ChatData.Valid(12))));

        using var http = new HttpClient { BaseAddress = new Uri(a.Url) };
        JsonArray jobs;
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (true)
        {
            jobs = (await http.GetFromJsonAsync<JsonArray>("/api/jobs?top=1000"))!;
            if (jobs.Count >= 50 && jobs.All(j => j!["runtimeStatus"]!.GetValue<string>() is "Completed" or "Failed" or "Terminated")) break;
            Assert.True(DateTime.UtcNow < deadline, $"{jobs.Count} jobs, {jobs.Count(j => j!["runtimeStatus"]!.GetValue<string>() == "Failed")} finished");
            await Task.Delay(500);
        }
        Assert.Equal(50, jobs.Count);
        Assert.Equal(names, jobs.Select(j => j!["input"]!["source"]!["name"]!.GetValue<string>()).Order().ToList());
        foreach (var job in jobs)
        {
            Assert.Equal("train", job!["output"]!["stage"]!.GetValue<string>());
            Assert.Contains("exit code 1", job["output"]!["error"]!.GetValue<string>());
        }
        // Which host started each training run: the run id names its host process.
        var hosts = new HashSet<string>();
        foreach (var job in jobs)
        {
            var run = JsonNode.Parse((await storage.Blobs.ReadTextAsync(Containers.Jobs, $"{job!["instanceId"]}/train/run.json"))!)!;
            hosts.Add(run["runId"]!.GetValue<string>().Split(':')[1]);
        }
        output.WriteLine($"training runs were started by host processes {string.Join(", ", hosts)} (a: {a.Id}, b: {b.Id})");
        Assert.Equal(new HashSet<string> { $"{a.Id}", $"{b.Id}" }, hosts);
        foreach (var dir in dirs) Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task StorageDownFor30Seconds_TheHostKeepsRunning_AndTheJobsFinish()
    {
        await using var azurite = new Azurite { Persistent = true };
        await azurite.InitializeAsync();
        var storage = StorageAccount.FromSetting(azurite.ConnectionString);
        await SeedAsync(storage);
        var dir = RepoPaths.NewTempDirectory("down");
        using var host = await ServeProcess.StartAsync(dir, Environment(), TimeSpan.FromSeconds(90), azurite.ConnectionString);
        await storage.Blobs.UploadTextAsync(Containers.Uploads, "before.jsonl", ChatData.Valid(12));
        using var http = new HttpClient { BaseAddress = new Uri(host.Url) };
        // The job is under way: its orchestration has begun (a cross-process wait, polled with a deadline).
        for (var started = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(100))
        {
            var listed = (await http.GetFromJsonAsync<JsonArray>("/api/jobs"))!;
            if (listed.Any(j => j!["runtimeStatus"]!.GetValue<string>() is not "Pending")) break;
            Assert.True(DateTime.UtcNow < started, "the job did not start: " + listed.ToJsonString());
        }

        azurite.Kill();  // storage down for 30 s: the fault itself, not a wait
        await Task.Delay(TimeSpan.FromSeconds(30));
        Assert.False(host.HasExited, "the host exited while storage was down:\n" + host.Output);
        await azurite.RestartAsync();

        await storage.Blobs.UploadTextAsync(Containers.Uploads, "after.jsonl", ChatData.Valid(12));
        // Recovery includes Durable's partition leases and message visibility (30 s each); on a loaded machine it takes minutes.
        var deadline = DateTime.UtcNow.AddMinutes(5);
        JsonArray jobs = [];
        while (true)
        {
            try
            {
                jobs = (await http.GetFromJsonAsync<JsonArray>("/api/jobs"))!;
                if (jobs.Count == 2 && jobs.All(j => j!["runtimeStatus"]!.GetValue<string>() is "Failed" or "Completed")) break;
            }
            catch (HttpRequestException)
            {
                // the API answers 500 while the client reconnects
            }
            Assert.True(DateTime.UtcNow < deadline, $"the jobs did not finish after storage came back (blob {azurite.BlobPort}, queue " +
                $"{azurite.QueuePort}, table {azurite.TablePort}); jobs: {jobs.ToJsonString()}\n" + host.Output[^Math.Min(host.Output.Length, 4000)..]);
            await Task.Delay(500);
        }
        foreach (var job in jobs)
            Assert.Equal("train", job!["output"]!["stage"]!.GetValue<string>()); // got as far as the trainer (which is /bin/false)
        Assert.False(host.HasExited);
        Directory.Delete(dir, recursive: true);
    }
}
