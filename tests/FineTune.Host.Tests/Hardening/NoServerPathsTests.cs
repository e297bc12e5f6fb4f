using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Host.Serving;
using FineTune.Host.Tests.Support;
using FineTune.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace FineTune.Host.Tests.Hardening;

/// <summary>The console's pages and APIs and the job status show names: no server folder, no storage account or endpoint.</summary>
public sealed class NoServerPathsTests
{
    [Fact]
    public async Task ConsoleAndJobApis_ShowNoServerFolderOrStorageEndpoint()
    {
        var data = RepoPaths.NewTempDirectory("no-paths");
        var modelDir = RepoPaths.NewTempDirectory("no-paths-model");
        File.WriteAllText(Path.Combine(modelDir, "config.json"), """{"model_type":"qwen2"}""");
        // What `finetune serve --model` registers, without loading a model: the base-model list and the jobs only need the options.
        var serving = new ServingOptions { ModelDirectory = modelDir, BaseModelId = "tiny-local" };
        await using var host = await TestHost.StartAsync(dataDirectory: data, configure: b => b.Services.AddSingleton(serving));

        var models = await host.Client.GetFromJsonAsync<JsonArray>("/api/base-models");
        var served = Assert.Single(models!, m => m!["served"]!.GetValue<bool>())!;
        Assert.Equal("tiny-local", served["name"]!.GetValue<string>());
        Assert.Equal("tiny-local", served["baseModel"]!.GetValue<string>()); // what a manifest names: the id, not the folder

        // A job on the served model by name passes the manifest check (it fails later, on its data); one naming a
        // missing folder under the data folder's models/ is refused with a message that names the folder.
        var byName = await SubmitAsync(host, "tiny-local", "not json\n");
        var byPath = await SubmitAsync(host, Path.Combine(data, "models", "absent"), ChatData.Valid(4));
        var byNameStatus = await host.WaitForStatusAsync(byName);
        Assert.Equal("validate", byNameStatus["output"]!["stage"]!.GetValue<string>());
        Assert.DoesNotContain("baseModel", byNameStatus["output"]!["error"]!.GetValue<string>());
        var byPathStatus = await host.WaitForStatusAsync(byPath);
        Assert.Contains("baseModel", byPathStatus["output"]!["error"]!.GetValue<string>());

        var hidden = new[] { data, modelDir, host.Storage.AccountName, host.Storage.Service.Uri.Authority };
        foreach (var path in new[] { "/", "/models", "/api/base-models", "/api/presets", "/api/datasets", "/api/jobs",
                     $"/api/jobs/{byName}?showHistory=true", $"/api/jobs/{byPath}?showHistory=true" })
        {
            using var response = await host.Client.GetAsync(path);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
            foreach (var secret in hidden)
                Assert.False(text.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{path} shows \"{secret}\": {text}");
        }
        JobList.RemoveTree(modelDir);
    }

    private static async Task<string> SubmitAsync(TestHost host, string baseModel, string dataset)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(dataset, Encoding.UTF8), "files", "pairs.jsonl" },
            { new StringContent(new JsonObject { ["baseModel"] = baseModel }.ToJsonString(), Encoding.UTF8), "manifest" },
        };
        using var response = await host.Client.PostAsync("/api/jobs", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }
}
