using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FineTune.Host.Tests.Support;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using Xunit.Abstractions;

namespace FineTune.Host.Tests;

/// <summary>
/// `finetune serve` (embedded Azurite with its data on disk, the Durable sidecar, the real trainer and evaluator as child
/// processes) SIGKILLed at random moments of the sample job and started again each time: the job completes exactly once,
/// with one deployment, and its metrics history has no gap and no step twice.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SampleJob_HostKilledTenTimesAtRandom_CompletesOnceWithOneDeploymentAndGaplessMetrics()
    {
        var dir = RepoPaths.NewTempDirectory("crash");
        var work = RepoPaths.NewTempDirectory("crash-work");
        ServeProcess? serve = null;
        try
        {
            var model = Path.Combine(dir, "models", "tiny");
            var init = Process.Start(new ProcessStartInfo("dotnet", [ServeProcess.FinetuneDll(), "model", "init", "--arch", "qwen2", "--out", model])
                { RedirectStandardOutput = true, RedirectStandardError = true })!;
            await init.WaitForExitAsync();
            Assert.Equal(0, init.ExitCode);
            var environment = new Dictionary<string, string>
            {
                ["Pipeline__Training__Executable"] = "dotnet",
                ["Pipeline__Training__ExecutableArguments__0"] = ServeProcess.FinetuneDll(),
                ["Pipeline__ScanInterval"] = "00:00:00.2",
                ["Pipeline__SettleTime"] = "00:00:00.5",
                ["Pipeline__TrainingPollInterval"] = "00:00:00.5",
                ["Pipeline__MaxTrainingPollInterval"] = "00:00:01",
                ["Pipeline__WorkDirectory"] = work,
            };
            Directory.CreateDirectory(Path.Combine(dir, "uploads"));
            var manifest = new JsonObject
            {
                ["baseModel"] = model,
                ["hyperparameters"] = new JsonObject { ["epochs"] = 6, ["batch_size"] = 4, ["learning_rate"] = 0.01, ["lora_rank"] = 8 },
                ["deploymentName"] = "crash",
                ["onGateFail"] = "deploy",
            };
            await File.WriteAllTextAsync(Path.Combine(dir, "uploads", "sample.job.json"), manifest.ToJsonString());
            File.Copy(Path.Combine(RepoPaths.Root, "infra", "local", "sample", "sample.jsonl"), Path.Combine(dir, "uploads", "sample.jsonl"));

            var random = new Random(20261205);
            var stages = new List<string>();
            for (var kill = 0; kill < 10; kill++)
            {
                serve = await ServeProcess.StartAsync(dir, environment, TimeSpan.FromSeconds(90));
                await Task.Delay(TimeSpan.FromSeconds(2 + random.NextDouble() * 4));
                stages.Add(await StageAsync(serve.Url) ?? "(no job yet)");
                serve.Kill(); // SIGKILL of the host and its children: no shutdown code runs
                serve.Dispose();
                serve = null;
            }
            output.WriteLine($"stages at the kills: {string.Join(", ", stages)}");

            serve = await ServeProcess.StartAsync(dir, environment, TimeSpan.FromSeconds(90));
            using var http = new HttpClient { BaseAddress = new Uri(serve.Url) };
            JsonArray jobs;
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (true)
            {
                jobs = (await http.GetFromJsonAsync<JsonArray>("/api/jobs"))!;
                if (jobs.Count > 0 && jobs.All(j => j!["runtimeStatus"]!.GetValue<string>() is "Completed" or "Failed" or "Terminated")) break;
                Assert.True(DateTime.UtcNow < deadline, $"the job did not finish: {jobs.ToJsonString()}");
                await Task.Delay(500);
            }
            var job = Assert.Single(jobs)!;
            Assert.True(job["runtimeStatus"]!.GetValue<string>() == "Completed", job.ToJsonString());
            Assert.True(job["output"]!["deployed"]!.GetValue<bool>());
            var id = job["instanceId"]!.GetValue<string>();

            var storage = StorageAccount.FromSetting(ConnectionStringOf(serve.Output));
            var deployments = new List<string>();
            await foreach (var blob in storage.Blobs.ListAsync(Containers.Deployments)) deployments.Add(blob.Name);
            Assert.Equal(["crash.json"], deployments);
            var steps = (await storage.Blobs.ReadTextAsync(Containers.Jobs, $"{id}/train/metrics.jsonl"))!
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)
                .Where(l => l["loss"] is not null).Select(l => l["step"]!.GetValue<long>()).ToList(); // step lines (epoch lines carry train_loss)
            output.WriteLine($"metrics steps: {string.Join(",", steps)}");
            Assert.NotEmpty(steps);
            for (var i = 1; i < steps.Count; i++)
                Assert.True(steps[i] > steps[i - 1] && steps[i] - steps[i - 1] <= steps[0], $"gap or repeat at {steps[i - 1]} → {steps[i]}: {string.Join(",", steps)}");
        }
        finally
        {
            serve?.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<string?> StageAsync(string url)
    {
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
            var jobs = await http.GetFromJsonAsync<JsonArray>("/api/jobs");
            return jobs is [{ } first, ..] ? first["customStatus"]?["stage"]?.GetValue<string>() ?? first["runtimeStatus"]!.GetValue<string>() : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>The embedded Azurite's blob endpoint, from the host's start line ("storage: … at 127.0.0.1:PORT"); the key is Azurite's public development key.</summary>
    private static string ConnectionStringOf(string serveOutput)
    {
        var line = serveOutput.Split('\n').Last(l => l.Contains("finetune serve: listening on", StringComparison.Ordinal));
        var port = int.Parse(line[(line.LastIndexOf(':') + 1)..].Trim());
        return FineTune.Host.Hosting.EmbeddedAzurite.ConnectionStringFor(port);
    }
}
