using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Host.Functions;
using FineTune.Host.Tests.Support;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;

namespace FineTune.Host.Tests;

/// <summary>The custom-handler endpoints, fed the payloads the Functions host sends ({Data, Metadata}, strings JSON-quoted).</summary>
public sealed class FunctionsHandlerTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync(functionsMode: true);
    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<JsonObject> InvokeAsync(string function, JsonObject payload, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + function) { Content = new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        using var response = await _host.Client.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.NotNull(body["Outputs"]);
        Assert.NotNull(body["Logs"]);
        return body;
    }

    [Fact]
    public async Task BlobTrigger_ThenQueueTrigger_RunTheJobWithoutScanOrPolling()
    {
        var content = ChatData.Valid();
        var blob = await _host.Storage.Blobs.UploadTextAsync(Containers.Uploads, "fn/data.jsonl", content);
        var blobPayload = new JsonObject
        {
            ["Data"] = new JsonObject { ["blob"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(content)) },
            ["Metadata"] = new JsonObject
            {
                ["name"] = "\"fn/data.jsonl\"",
                ["Uri"] = "\"http://127.0.0.1:10000/devstoreaccount1/uploads/fn/data.jsonl\"",
                ["Properties"] = new JsonObject { ["ETag"] = blob.ETag, ["ContentLength"] = blob.Length },
                ["sys"] = new JsonObject { ["MethodName"] = "BlobUpload", ["UtcNow"] = "2026-11-21T05:00:00Z" },
            },
        };
        var reply = await InvokeAsync(FunctionNames.BlobUpload, blobPayload);
        var id = JobPaths.IdFor(Containers.Uploads, "fn/data.jsonl", blob.ETag);
        Assert.Contains(id, reply["Logs"]![0]!.GetValue<string>());

        // The functions host, not this process, polls the queue: the job stays Pending until the queue trigger runs.
        await Task.Delay(300);
        var jobs = (JobStore)_host.Services.GetService(typeof(JobStore))!;
        Assert.Equal(RuntimeStatus.Pending, (await jobs.GetAsync(id))!.Value.State.RuntimeStatus);

        var message = Assert.Single(await _host.Storage.Queues.ReceiveAsync(Containers.JobQueue, 32, TimeSpan.FromSeconds(30)));
        var queuePayload = new JsonObject
        {
            ["Data"] = new JsonObject { ["msg"] = System.Text.Json.JsonSerializer.Serialize(message.Text) }, // quoted once more
            ["Metadata"] = new JsonObject { ["DequeueCount"] = "1", ["Id"] = $"\"{message.Id}\"" },
        };
        await InvokeAsync(FunctionNames.JobQueue, queuePayload);
        var state = (await jobs.GetAsync(id))!.Value.State;
        Assert.Equal(RuntimeStatus.Failed, state.RuntimeStatus);
        Assert.Equal(JobStage.Train, state.Stage);
    }

    [Fact]
    public async Task Sweep_StartsJobsForBlobsMissedWhileDown()
    {
        await _host.Storage.Blobs.UploadTextAsync(Containers.Uploads, "missed.jsonl", ChatData.Valid());
        await Task.Delay(200); // past the folder store's settle time
        var reply = await InvokeAsync(FunctionNames.Sweep, new JsonObject { ["Data"] = new JsonObject(), ["Metadata"] = new JsonObject() });
        Assert.Contains("1 jobs started", reply["Logs"]![0]!.GetValue<string>());
    }

    [Fact]
    public void Pack_FunctionJson_DeclaresTheTriggers()
    {
        var functions = FunctionsApp.FunctionJson();
        Assert.Equal("blobTrigger", functions[FunctionNames.BlobUpload]["bindings"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("uploads/{name}", functions[FunctionNames.BlobUpload]["bindings"]![0]!["path"]!.GetValue<string>());
        Assert.Equal(Containers.JobQueue, functions[FunctionNames.JobQueue]["bindings"]![0]!["queueName"]!.GetValue<string>());
        Assert.Equal("httpTrigger", functions[FunctionNames.Api]["bindings"]![0]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Unquote_HandlesDoubleQuotedStrings()
    {
        Assert.Equal("a/b.jsonl", FunctionsEndpoints.Unquote(JsonValue.Create("\"\\\"a/b.jsonl\\\"\"")));
        Assert.Equal("a/b.jsonl", FunctionsEndpoints.Unquote(JsonValue.Create("\"a/b.jsonl\"")));
        Assert.Equal("x", FunctionsEndpoints.Parse(JsonValue.Create("{\"jobId\":\"x\"}"))!["jobId"]!.GetValue<string>());
    }
}
