using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Host.Tests.Support;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Runs;
using FineTune.Tests.Support;

namespace FineTune.Host.Tests;

/// <summary>
/// The Train stage with the real engine: the local backend starts `dotnet finetune.dll train --spec …` on a tiny random
/// model made by `finetune model init`; the adapter lands in adapters/{id}/ and the job moves past Train.
/// </summary>
public sealed class EngineIntegrationTests
{
    [Fact]
    public async Task LocalBackend_RealEngine_RunsTheWholeJobToADeployment()
    {
        var dir = RepoPaths.NewTempDirectory("engine");
        try
        {
            var init = Process.Start(new ProcessStartInfo("dotnet", [ServeProcess.FinetuneDll(), "model", "init", "--arch", "qwen2", "--out", Path.Combine(dir, "models", "tiny")])
                { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var initErr = init.StandardError.ReadToEndAsync();
            await init.WaitForExitAsync();
            Assert.True(init.ExitCode == 0, await initErr);

            var values = new Dictionary<string, string>
            {
                ["Pipeline:Training:Backend"] = "local",
                ["Pipeline:Training:Executable"] = "dotnet",
                ["Pipeline:Training:ExecutableArguments:0"] = ServeProcess.FinetuneDll(),
            };
            await using var host = await TestHost.StartAsync(dataDirectory: dir, values: values);
            var model = JsonValue.Create(Path.Combine(dir, "models", "tiny"))!.ToJsonString();
            using var form = new MultipartFormDataContent
            {
                { new StringContent("{\"baseModel\":" + model + ",\"hyperparameters\":{\"epochs\":1,\"batch_size\":2}}"), "files", "run.job.json" },
                { new StringContent(ChatData.Valid(16), Encoding.UTF8), "files", "chat.jsonl" },
            };
            using var response = await host.Client.PostAsync("/api/jobs", form);
            var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

            // The whole job with the real engine: train, evaluate (base vs tuned, the gate), deploy.
            var stages = new HashSet<string>();
            var status = await host.WaitForStatusAsync(id, s =>
            {
                if (s["customStatus"]?["stage"]?.GetValue<string>() is { } stage) stages.Add(stage);
                return s["runtimeStatus"]!.GetValue<string>() is "Completed" or "Failed";
            }, timeoutMs: 240_000);
            Assert.True(TestHost.Status(status) == "Completed", status.ToJsonString());
            Assert.Contains("train", stages);
            Assert.Equal("deploy", status["customStatus"]!["stage"]!.GetValue<string>());
            var output = status["output"]!;
            Assert.True(output["deployed"]!.GetValue<bool>());
            Assert.InRange(output["baseScore"]!.GetValue<double>(), 0, 1);
            Assert.InRange(output["tunedScore"]!.GetValue<double>(), 0, 1);
            Assert.NotNull(await host.Storage.Blobs.GetPropertiesAsync(Containers.Adapters, $"{id}/adapter_model.safetensors"));
            Assert.NotNull(await host.Storage.Blobs.GetPropertiesAsync(Containers.Adapters, $"{id}/adapter_config.json"));
            var trainedOn = JsonNode.Parse((await host.Storage.Blobs.ReadTextAsync(Containers.Adapters, $"{id}/base_model.json"))!)!; // what serving checks
            Assert.Equal("qwen2", trainedOn["model_type"]!.GetValue<string>());
            var results = JsonNode.Parse((await host.Storage.Blobs.ReadTextAsync(Containers.Jobs, $"{id}/evaluate/results.json"))!)!;
            Assert.Equal("Deploy", results["gate"]!["outcome"]!.GetValue<string>());
            Assert.NotNull(results["report"]!["results"]!["base"]);
            Assert.NotNull(results["report"]!["results"]!["tuned"]);
            Assert.NotNull(await host.Storage.Blobs.GetPropertiesAsync(Containers.Deployments, $"ft-{id[..12]}.json"));
            var metrics = (await host.Storage.Blobs.ReadTextAsync(Containers.Jobs, $"{id}/train/metrics.jsonl"))!;
            Assert.Contains("\"loss\"", metrics);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
