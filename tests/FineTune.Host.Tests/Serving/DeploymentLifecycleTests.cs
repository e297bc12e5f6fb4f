using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Host.Serving;
using FineTune.Host.Tests.Support;
using FineTune.Models.Checkpoints;
using FineTune.Models.Lora;
using FineTune.Models.Transformer;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using FineTune.Torch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FineTune.Host.Tests.Serving;

/// <summary>
/// Deployments over their life on a host serving the fixture's tiny Qwen2: an adapter trained on another base (a tiny Llama
/// of the same shapes, or another tiny Qwen2) is refused with its reason, a replaced deployment serves the new adapter and
/// only its id, a deleted one disappears, and deleted cache files are fetched again.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class DeploymentLifecycleTests(ServingFixture fx) : IDisposable
{
    private static readonly (string, string)[] Hello = [("user", "hello")];
    private readonly string _root = RepoPaths.NewTempDirectory("deploy-life");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task AdapterTrainedOnAnotherBase_IsNotListed_RequestsAreToldWhy_AndItIsLogged()
    {
        var llama = Path.Combine(_root, "tiny-llama");
        var otherQwen = Path.Combine(_root, "other-qwen2");
        ModelFolder.Create(llama, ModelPresets.TinyLlama, seed: 21);      // same shapes as the served Qwen2: its adapter would load and answer garbage
        ModelFolder.Create(otherQwen, ModelPresets.TinyQwen2, seed: 22); // same architecture, other weights
        var llamaAdapter = TrainedAdapter(llama, Path.Combine(_root, "llama-adapter"));
        var otherAdapter = TrainedAdapter(otherQwen, Path.Combine(_root, "other-adapter"));
        var matching = CopyWithBase(fx.AdapterDirs["beta"], fx.ModelDir, Path.Combine(_root, "matching"));
        var adapters = Path.Combine(_root, "adapters");
        CopyFolder(llamaAdapter, Path.Combine(adapters, "llama-tuned"));
        CopyFolder(matching, Path.Combine(adapters, "qwen-tuned"));

        var logs = new LogCapture();
        await using var host = await StartAsync(TimeSpan.FromMilliseconds(100), adapters, logs);
        await DeployAsync(host, "llama-bot", "job-llama", "models/tiny-llama", llamaAdapter);
        await DeployAsync(host, "other-bot", "job-other", "models/other-qwen2", otherAdapter);
        await DeployAsync(host, "match-bot", "job-match", "models/tiny-qwen2", matching);
        string llamaId = Id("llama-bot", "job-llama"), otherId = Id("other-bot", "job-other"), matchId = Id("match-bot", "job-match");
        await UntilAsync(async () => (await ModelIdsAsync(host)).Contains(matchId)
            && await ErrorCodeAsync(host, llamaId) == "base_model_mismatch" && await ErrorCodeAsync(host, otherId) == "base_model_mismatch", "the sync");

        Assert.Equal([ServingFixture.BaseId, "qwen-tuned", matchId, matchId + ":ckpt-epoch-1"], await ModelIdsAsync(host));
        var (status, body) = await ChatAsync(host, llamaId);
        Assert.Equal(HttpStatusCode.NotFound, status);
        var error = body["error"]!;
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.Equal("model", error["param"]!.GetValue<string>());
        Assert.Equal("base_model_mismatch", error["code"]!.GetValue<string>());
        var message = error["message"]!.GetValue<string>();
        Assert.Contains($"adapter '{llamaId}' was trained on base models/tiny-llama (llama, 2 layers", message);
        Assert.Contains($"this host serves {ServingFixture.BaseId} (qwen2, 2 layers", message);
        Assert.Contains("different weights", (await ChatAsync(host, otherId)).Body["error"]!["message"]!.GetValue<string>());
        (status, body) = await ChatAsync(host, "llama-tuned");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("was trained on base tiny-llama (llama,", body["error"]!["message"]!.GetValue<string>());
        Assert.Equal("base_model_mismatch", await ErrorCodeAsync(host, llamaId + ":ckpt-epoch-1")); // any id naming the refused job

        var expected = fx.Reference("beta", Hello, 12).Text;
        foreach (var served in new[] { matchId, "qwen-tuned" })
        {
            (status, body) = await ChatAsync(host, served);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(expected, body["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        }
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("deployments/llama-bot.json is refused")
            && l.Contains("trained on base models/tiny-llama"));
        Assert.Contains(logs.Lines, l => l.Contains("adapter llama-tuned is not served") && l.Contains("(llama,"));

        // The last guard: an adapter registered past the checks still never runs on the wrong base.
        var direct = host.Services.GetRequiredService<DeploymentCatalog>().Register(ServingFixture.BaseId, "direct", "job-direct", llamaAdapter);
        (status, body) = await ChatAsync(host, direct);
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Contains("was trained on base tiny-llama", body["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReplacedDeployment_ServesTheNewAdapterUnderItsId_AndDeletedDisappears()
    {
        await using var host = await StartAsync(TimeSpan.FromMilliseconds(100));
        var catalog = (IAdapterCatalog)host.Services.GetRequiredService<DeploymentCatalog>();
        string first = Id("bot", "job-1"), second = Id("bot", "job-2");

        await DeployAsync(host, "bot", "job-1", "models/tiny-qwen2", fx.AdapterDirs["beta"]);
        await UntilAsync(async () => (await ModelIdsAsync(host)).Contains(first), "the first deployment");
        await AssertAnswersAsync(host, first, "beta");

        // The Deploy stage publishes the same name for a new job: the old job's ids go, the new adapter is served.
        await DeployAsync(host, "bot", "job-2", "models/tiny-qwen2", fx.AdapterDirs["gamma"]);
        await UntilAsync(async () => (await ModelIdsAsync(host)).Contains(second), "the replacement");
        Assert.Equal([ServingFixture.BaseId, second, second + ":ckpt-epoch-1"], await ModelIdsAsync(host));
        Assert.Equal("model_not_found", await ErrorCodeAsync(host, first));
        await AssertAnswersAsync(host, second, "gamma");

        // The same job published again with other weights: served from a new folder, not the adapter loaded before.
        var before = catalog.Find(second)!.Directory;
        await DeployAsync(host, "bot", "job-2", "models/tiny-qwen2", fx.AdapterDirs["alpha"]);
        await UntilAsync(() => Task.FromResult(catalog.Find(second)?.Directory is { } d && d != before), "the new version");
        await AssertAnswersAsync(host, second, "alpha");
        await UntilAsync(() => Task.FromResult(!Directory.Exists(before)), "the superseded folder's removal");

        var current = catalog.Find(second)!.Directory;
        await host.Storage.Blobs.DeleteAsync(Containers.Deployments, "bot.json");
        await UntilAsync(async () => !(await ModelIdsAsync(host)).Contains(second), "the removal");
        Assert.Equal([ServingFixture.BaseId], await ModelIdsAsync(host));
        Assert.Equal("model_not_found", await ErrorCodeAsync(host, second));
        await UntilAsync(() => Task.FromResult(!Directory.Exists(Path.GetDirectoryName(current))), "the removed job's cache folder's deletion");
    }

    [Fact]
    public async Task DeletedCacheFiles_AreFetchedAgainFromStorage_OnTheNextRequest()
    {
        // No poll during the test (the first runs at start, on an empty container): only the request can repair the cache.
        await using var host = await StartAsync(TimeSpan.FromHours(1));
        var id = Id("bot", "job-1");
        await DeployAsync(host, "bot", "job-1", "models/tiny-qwen2", fx.AdapterDirs["beta"]);
        await host.Services.GetRequiredService<DeploymentSync>().SyncOnceAsync(CancellationToken.None);
        var dir = ((IAdapterCatalog)host.Services.GetRequiredService<DeploymentCatalog>()).Find(id)!.Directory;
        var cache = host.Services.GetRequiredService<DeploymentSync>().CacheDirectory;
        Directory.Delete(cache, recursive: true); // the whole cache, as a disk cleanup would

        await AssertAnswersAsync(host, id, "beta");
        Assert.True(File.Exists(Path.Combine(dir, LoraAdapter.WeightsFileName)));
        await AssertAnswersAsync(host, id + ":ckpt-epoch-1", "gamma"); // the job's checkpoints came back with it
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static string Id(string name, string job) => $"ft:{ServingFixture.BaseId}:{name}:{job}";

    private Task<TestHost> StartAsync(TimeSpan poll, string? adapters = null, LogCapture? logs = null)
    {
        var options = new ServingOptions
        {
            ModelDirectory = fx.ModelDir, BaseModelId = ServingFixture.BaseId, AdaptersDirectory = adapters, DeploymentPollInterval = poll,
        };
        return TestHost.StartAsync(configure: b =>
        {
            if (logs is not null) b.Logging.AddProvider(logs);
            b.Services.AddFineTuneServing(options);
        });
    }

    /// <summary>What training and the Deploy stage leave in storage: adapters/{job}/ (the final adapter, one epoch checkpoint) and deployments/{name}.json.</summary>
    private async Task DeployAsync(TestHost host, string name, string job, string baseModel, string adapter)
    {
        await UploadAsync(host.Storage.Blobs, adapter, job);
        await UploadAsync(host.Storage.Blobs, fx.AdapterDirs["gamma"], $"{job}/checkpoints/epoch-1");
        var record = new JsonObject { ["name"] = name, ["jobId"] = job, ["baseModel"] = baseModel, ["adapter"] = $"adapters/{job}/" };
        await host.Storage.Blobs.UploadTextAsync(Containers.Deployments, $"{name}.json", record.ToJsonString());
    }

    private static async Task UploadAsync(IBlobStore blobs, string folder, string prefix)
    {
        foreach (var file in Directory.GetFiles(folder))
            await blobs.UploadBytesAsync(Containers.Adapters, $"{prefix}/{Path.GetFileName(file)}", await File.ReadAllBytesAsync(file));
    }

    /// <summary>A random adapter for the model in <paramref name="modelDir"/>, recording that base as the trainer does.</summary>
    private static string TrainedAdapter(string modelDir, string dir)
    {
        using var model = ModelLoader.Load(modelDir);
        using var adapter = LoraAdapter.Create(model, new LoraConfig { Rank = 4, Alpha = 8 });
        using (LibTorch.NoGrad())
            foreach (var m in adapter.Modules.Values)
            {
                using var r = Tensor.Randn(m.B.Shape).Mul(0.3);
                m.B.CopyFrom(r);
            }
        adapter.BaseModel = BaseModelIdentity.Of(modelDir);
        adapter.Save(dir);
        return dir;
    }

    private static string CopyWithBase(string adapter, string modelDir, string dir)
    {
        CopyFolder(adapter, dir);
        BaseModelIdentity.Of(modelDir).Save(dir);
        return dir;
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    private static async Task<List<string>> ModelIdsAsync(TestHost host) =>
        JsonNode.Parse(await host.Client.GetStringAsync("/v1/models"))!["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToList();

    private static async Task<(HttpStatusCode Status, JsonNode Body)> ChatAsync(TestHost host, string model)
    {
        var json = $$"""{"model":"{{model}}","temperature":0,"max_tokens":12,"messages":[{"role":"user","content":"hello"}]}""";
        var response = await host.Client.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static async Task<string?> ErrorCodeAsync(TestHost host, string model) =>
        (await ChatAsync(host, model)).Body["error"]?["code"]?.GetValue<string>();

    private async Task AssertAnswersAsync(TestHost host, string model, string adapter)
    {
        var (status, body) = await ChatAsync(host, model);
        Assert.True(status == HttpStatusCode.OK, $"{model}: {(int)status} {body.ToJsonString()}");
        Assert.Equal(fx.Reference(adapter, Hello, 12).Text, body["choices"]![0]!["message"]!["content"]!.GetValue<string>());
    }
}
