using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Host.Tests.Support;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Runs;
using FineTune.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FineTune.Host.Tests;

/// <summary>
/// DELETE /api/jobs/{id} (JobControl.PurgeAsync): every blob of the job in every container, its deployments and its history
/// go, and nothing of another job; a running job is refused; work folders go when the job ends.
/// </summary>
public sealed class PurgeTests
{
    private static async Task<string> SubmitAsync(TestHost host, string? manifest, string fileName = "chat.jsonl")
    {
        using var form = new MultipartFormDataContent { { new StringContent(ChatData.Valid(16), Encoding.UTF8), "files", fileName } };
        if (manifest is not null) form.Add(new StringContent(manifest), "files", "run.job.json");
        using var response = await host.Client.PostAsync("/api/jobs", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    private static TrainingWatchdog Watchdog(TestHost host) => host.Services.GetServices<IHostedService>().OfType<TrainingWatchdog>().Single();

    [Fact]
    public async Task Purge_RemovesEveryBlobDeploymentAndTheHistory_AndNothingElse()
    {
        var dir = RepoPaths.NewTempDirectory("purge");
        try
        {
            var work = Path.Combine(dir, "work");
            await using var host = await TestHost.StartAsync(dir, values: new Dictionary<string, string> { ["Pipeline:WorkDirectory"] = work });
            var id = await SubmitAsync(host, manifest: null);
            var status = await host.WaitForStatusAsync(id);
            Assert.Equal("Failed", TestHost.Status(status));
            Assert.Contains("baseModel is required", JobList.Error(status));

            var blobs = host.Storage.Blobs;
            (string Container, string Name)[] mine =
            [
                (Containers.Jobs, $"{id}/x"), (Containers.Datasets, $"{id}/y"),
                (Containers.Adapters, $"{id}/checkpoints/epoch-1/adapter_model.safetensors"), (Containers.Adapters, $"{id}/adapter_config.json"),
            ];
            foreach (var (container, name) in mine) await blobs.UploadTextAsync(container, name, "fake");
            await blobs.UploadTextAsync(Containers.Deployments, "d.json", new JsonObject { ["jobId"] = id }.ToJsonString());
            // Another job's things, and one whose id starts with this id: they stay.
            var other = id[..31] + (id[31] == '0' ? '1' : '0');
            (string Container, string Name)[] theirs =
            [
                (Containers.Jobs, $"{other}/x"), (Containers.Datasets, $"{id}0/y"), (Containers.Adapters, $"{other}/adapter_config.json"),
                (Containers.Deployments, "e.json"),
            ];
            foreach (var (container, name) in theirs)
                await blobs.UploadTextAsync(container, name, container == Containers.Deployments ? new JsonObject { ["jobId"] = other }.ToJsonString() : "theirs");

            // The work folder of a finished job goes at the next sweep.
            var folder = Directory.CreateDirectory(Path.Combine(work, id)).FullName;
            File.WriteAllText(Path.Combine(folder, "junk"), "junk");
            await Watchdog(host).SweepWorkFoldersAsync(CancellationToken.None);
            Assert.False(Directory.Exists(folder));

            using (var purge = await host.Client.DeleteAsync($"/api/jobs/{id}"))
            {
                Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
                Assert.Equal(mine.Length + 1, (await purge.Content.ReadFromJsonAsync<JsonObject>())!["blobsDeleted"]!.GetValue<int>());
            }
            foreach (var (container, name) in mine.Append((Containers.Deployments, "d.json")))
                Assert.True(await blobs.GetPropertiesAsync(container, name) is null, $"{container}/{name} is still there");
            foreach (var (container, name) in theirs)
                Assert.True(await blobs.GetPropertiesAsync(container, name) is not null, $"{container}/{name} was deleted");
            using (var gone = await host.Client.GetAsync($"/api/jobs/{id}"))
                Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            using (var again = await host.Client.DeleteAsync($"/api/jobs/{id}"))
                Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
            // The uploads scan does not bring the purged job back (its receipt stays).
            await host.BackgroundPassesAsync();
            using (var still = await host.Client.GetAsync($"/api/jobs/{id}"))
                Assert.Equal(HttpStatusCode.NotFound, still.StatusCode);
        }
        finally
        {
            JobList.RemoveTree(dir);
        }
    }

    [Fact]
    public async Task Purge_RunningJob_Is409_WorkFolderStaysWhileItRuns_AndGoesWhenItEnds()
    {
        var dir = RepoPaths.NewTempDirectory("purge");
        try
        {
            var work = Path.Combine(dir, "work");
            var model = Directory.CreateDirectory(Path.Combine(dir, "models", "tiny")).FullName;
            File.WriteAllText(Path.Combine(model, "config.json"), "{}");
            // The "trainer" sleeps: the job stays in its train stage until terminated.
            var values = new Dictionary<string, string>
            {
                ["Pipeline:WorkDirectory"] = work,
                ["Pipeline:Training:Backend"] = "local",
                ["Pipeline:Training:Executable"] = "bash",
                ["Pipeline:Training:ExecutableArguments:0"] = "-c",
                ["Pipeline:Training:ExecutableArguments:1"] = "sleep 60",
            };
            await using var host = await TestHost.StartAsync(dir, values: values);
            var id = await SubmitAsync(host, "{\"baseModel\":" + JsonValue.Create(model)!.ToJsonString() + "}");
            await host.WaitForStatusAsync(id, s => s["customStatus"]?["stage"]?.GetValue<string>() == "train" || TestHost.Status(s) is "Failed" or "Completed");
            Assert.Equal("Running", TestHost.Status(await host.WaitForStatusAsync(id, _ => true)));

            var folder = Directory.CreateDirectory(Path.Combine(work, id)).FullName;
            File.WriteAllText(Path.Combine(folder, "junk"), "junk");
            using (var refused = await host.Client.DeleteAsync($"/api/jobs/{id}"))
                Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            await Watchdog(host).SweepWorkFoldersAsync(CancellationToken.None);
            Assert.True(File.Exists(Path.Combine(folder, "junk")), "the sweep removed the work folder of a running job");
            var written = 0;
            await foreach (var _ in host.Storage.Blobs.ListAsync(Containers.Jobs, $"{id}/")) written++;
            Assert.True(written > 0, "the job wrote nothing before training");

            using (var terminate = await host.Client.PostAsync($"/api/jobs/{id}/terminate", null))
                Assert.Equal(HttpStatusCode.Accepted, terminate.StatusCode);
            Assert.Equal("Terminated", TestHost.Status(await host.WaitForStatusAsync(id)));
            await Watchdog(host).SweepWorkFoldersAsync(CancellationToken.None);
            Assert.False(Directory.Exists(folder));

            using (var purge = await host.Client.DeleteAsync($"/api/jobs/{id}"))
                Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
            foreach (var container in new[] { Containers.Jobs, Containers.Datasets, Containers.Adapters })
                await foreach (var blob in host.Storage.Blobs.ListAsync(container, $"{id}/"))
                    Assert.Fail($"{container}/{blob.Name} is still there");
            using (var gone = await host.Client.GetAsync($"/api/jobs/{id}"))
                Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        finally
        {
            JobList.RemoveTree(dir);
        }
    }
}
