using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Host.Serving;
using FineTune.Host.Tests.Support;
using FineTune.Pipeline.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FineTune.Host.Tests.Serving;

/// <summary>A deployment record written as the Deploy stage writes it is served, with its epoch checkpoints, and unserved when deleted.</summary>
[Collection(ServingCollection.Name)]
public sealed class DeploymentSyncTests(ServingFixture fx)
{
    private static async Task UploadFolderAsync(IBlobStore blobs, string folder, string prefix)
    {
        foreach (var file in Directory.GetFiles(folder))
            await blobs.UploadBytesAsync(Containers.Adapters, $"{prefix}/{Path.GetFileName(file)}", await File.ReadAllBytesAsync(file));
    }

    private static async Task<List<string>> ModelIdsAsync(HttpClient client)
    {
        var list = JsonNode.Parse(await client.GetStringAsync("/v1/models"))!["data"]!.AsArray();
        return list.Select(m => m!["id"]!.GetValue<string>()).ToList();
    }

    [Fact]
    public async Task DeploymentRecord_IsServedAsFtId_WithCheckpoints_AndRemovedWhenDeleted()
    {
        var options = new ServingOptions { ModelDirectory = fx.ModelDir, BaseModelId = ServingFixture.BaseId, DeploymentPollInterval = TimeSpan.FromMilliseconds(100) };
        await using var host = await TestHost.StartAsync(configure: b => b.Services.AddFineTuneServing(options));
        const string job = "5f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f";
        var blobs = host.Storage.Blobs;
        // The trainer's output layout under adapters/{jobId}/: the final adapter and an epoch checkpoint (with optimizer state, not needed to serve).
        await UploadFolderAsync(blobs, fx.AdapterDirs["beta"], $"{job}/adapter");
        await UploadFolderAsync(blobs, fx.AdapterDirs["gamma"], $"{job}/checkpoints/epoch-1");
        await blobs.UploadBytesAsync(Containers.Adapters, $"{job}/checkpoints/epoch-1/optimizer.safetensors", new byte[1024]);
        var record = new JsonObject { ["name"] = "support-bot", ["jobId"] = job, ["baseModel"] = "tiny", ["adapter"] = $"adapters/{job}/" };
        await blobs.UploadTextAsync(Containers.Deployments, "support-bot.json", record.ToJsonString());

        var id = $"ft:{ServingFixture.BaseId}:support-bot:{job}";
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!(await ModelIdsAsync(host.Client)).Contains(id) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal([ServingFixture.BaseId, id, id + ":ckpt-epoch-1"], await ModelIdsAsync(host.Client));
        var cache = host.Services.GetRequiredService<DeploymentSync>().CacheDirectory;
        var epoch1 = ((IAdapterCatalog)host.Services.GetRequiredService<DeploymentCatalog>()).Find(id + ":ckpt-epoch-1")!.Directory;
        Assert.StartsWith(Path.Combine(cache, job) + Path.DirectorySeparatorChar, epoch1);
        Assert.True(File.Exists(Path.Combine(epoch1, "adapter_model.safetensors")));
        Assert.False(File.Exists(Path.Combine(epoch1, "optimizer.safetensors")));

        foreach (var (served, expectedFrom) in new[] { (id, "beta"), (id + ":ckpt-epoch-1", "gamma") })
        {
            var body = $$"""{"model":"{{served}}","temperature":0,"max_tokens":12,"messages":[{"role":"user","content":"hello"}]}""";
            var response = await host.Client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
            Assert.Equal(fx.Reference(expectedFrom, [("user", "hello")], 12).Text, text);
        }

        await blobs.DeleteAsync(Containers.Deployments, "support-bot.json");
        deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await ModelIdsAsync(host.Client)).Contains(id) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal([ServingFixture.BaseId], await ModelIdsAsync(host.Client));
    }
}
