using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Host.Tests.Support;
using FineTune.Tests.Support;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;

namespace FineTune.Host.Tests;

/// <summary>The job API over real HTTP on the embedded store.</summary>
public sealed class JobApiTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();
    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static MultipartFormDataContent Upload(string fileName, string content, string? manifest = null)
    {
        var form = new MultipartFormDataContent();
        if (manifest is not null) form.Add(new StringContent(manifest), "files", "job.job.json");
        form.Add(new StringContent(content, Encoding.UTF8, "application/jsonl"), "files", fileName);
        return form;
    }

    [Fact]
    public async Task PostJobs_Multipart_Returns202WithDurableShapeAndJobReachesTrain()
    {
        using var response = await _host.Client.PostAsync("/api/jobs", Upload("chat.jsonl", ChatData.Valid()));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = body["id"]!.GetValue<string>();
        Assert.Equal($"{_host.BaseUrl}/api/jobs/{id}", body["statusQueryGetUri"]!.GetValue<string>());
        Assert.Equal($"{_host.BaseUrl}/api/jobs/{id}/raiseEvent/{{eventName}}", body["sendEventPostUri"]!.GetValue<string>());
        Assert.Equal($"{_host.BaseUrl}/api/jobs/{id}/terminate?reason={{text}}", body["terminatePostUri"]!.GetValue<string>());
        Assert.Equal($"{_host.BaseUrl}/api/jobs/{id}", body["purgeHistoryDeleteUri"]!.GetValue<string>());
        Assert.Equal(body["statusQueryGetUri"]!.GetValue<string>(), response.Headers.Location!.ToString());
        Assert.Equal(TimeSpan.FromSeconds(10), response.Headers.RetryAfter!.Delta);

        var status = await _host.WaitForStatusAsync(id, query: "?showHistory=true");
        Assert.Equal("finetune", status["name"]!.GetValue<string>());
        Assert.Equal(id, status["instanceId"]!.GetValue<string>());
        Assert.Equal("Failed", TestHost.Status(status));
        Assert.Equal("train", status["customStatus"]!["stage"]!.GetValue<string>());
        Assert.Contains("no training backend configured", status["output"]!["error"]!.GetValue<string>());
        Assert.NotNull(status["createdTime"]);
        Assert.NotNull(status["lastUpdatedTime"]);
        Assert.Equal("chat.jsonl", Path.GetFileName(status["input"]!["source"]!["name"]!.GetValue<string>()));
        var events = status["historyEvents"]!.AsArray().Select(e => e!["eventType"]!.GetValue<string>()).ToList();
        Assert.Equal("ExecutionScheduled", events[0]);
        Assert.Contains("ExecutionStarted", events);
        Assert.Equal("ExecutionFailed", events[^1]);
    }

    [Fact]
    public async Task InvalidFile_FailsWithAbsoluteReportLinkThatServesTheReport()
    {
        using var response = await _host.Client.PostAsync("/api/jobs", Upload("bad.jsonl", ChatData.WithTwoInvalidLines()));
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        var status = await _host.WaitForStatusAsync(id);
        Assert.Equal("Failed", TestHost.Status(status));
        Assert.Equal("validate", status["output"]!["stage"]!.GetValue<string>());
        var reportUri = status["output"]!["reportUri"]!.GetValue<string>();
        Assert.Equal($"{_host.BaseUrl}/api/jobs/{id}/files/validate/report.json", reportUri);
        var report = (await _host.Client.GetFromJsonAsync<JsonObject>(reportUri))!;
        Assert.False(report["usable"]!.GetValue<bool>());
        Assert.Contains(report["problems"]!.AsArray(), p => p!["line"]!.GetValue<long>() == 3);
    }

    [Fact]
    public async Task PostJobs_ExistingBlobName_StartsTheSameJobAsTheDropZone()
    {
        var blob = await _host.Storage.Blobs.UploadTextAsync(Containers.Uploads, "named/data.jsonl", ChatData.Valid());
        using var response = await _host.Client.PostAsJsonAsync("/api/jobs", new { blob = "uploads/named/data.jsonl" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        Assert.Equal(JobPaths.IdFor(Containers.Uploads, "named/data.jsonl", blob.ETag), id);
        using var again = await _host.Client.PostAsJsonAsync("/api/jobs", new { blob = "named/data.jsonl" });
        Assert.Equal(id, (await again.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostJobs_BadRequests_AreProblemDetails()
    {
        using var two = new MultipartFormDataContent
        {
            { new StringContent(ChatData.Valid()), "files", "a.jsonl" },
            { new StringContent(ChatData.Valid()), "files", "b.jsonl" },
        };
        using var r1 = await _host.Client.PostAsync("/api/jobs", two);
        Assert.Equal(HttpStatusCode.BadRequest, r1.StatusCode);
        Assert.Equal("application/problem+json", r1.Content.Headers.ContentType!.MediaType);
        using var r2 = await _host.Client.PostAsync("/api/jobs", Upload("x.jsonl", ChatData.Valid(), manifest: """{"invalidLines":"maybe"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, r2.StatusCode);
        Assert.Contains("invalidLines", await r2.Content.ReadAsStringAsync());
        using var r3 = await _host.Client.PostAsJsonAsync("/api/jobs", new { blob = "uploads/none.jsonl" });
        Assert.Equal(HttpStatusCode.NotFound, r3.StatusCode);
        using var r4 = await _host.Client.GetAsync("/api/jobs/0123456789abcdef");
        Assert.Equal(HttpStatusCode.NotFound, r4.StatusCode);
        Assert.Equal("application/problem+json", r4.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task ListJobs_FiltersByStatusNewestFirst_AndPurgeDeletes()
    {
        var ids = new List<string>();
        foreach (var name in new[] { "one.jsonl", "two.jsonl" })
        {
            using var response = await _host.Client.PostAsync("/api/jobs", Upload(name, ChatData.Valid()));
            ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
            await _host.WaitForStatusAsync(ids[^1]);
        }
        var failed = (await _host.Client.GetFromJsonAsync<JsonArray>("/api/jobs?runtimeStatus=Failed"))!;
        Assert.Equal([ids[1], ids[0]], failed.Select(j => j!["instanceId"]!.GetValue<string>()).Where(ids.Contains));
        Assert.Empty((await _host.Client.GetFromJsonAsync<JsonArray>("/api/jobs?runtimeStatus=Running,Pending"))!);
        using var bad = await _host.Client.GetAsync("/api/jobs?runtimeStatus=Sleeping");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        using var purge = await _host.Client.DeleteAsync($"/api/jobs/{ids[0]}");
        Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
        using var gone = await _host.Client.GetAsync($"/api/jobs/{ids[0]}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Null(await _host.Storage.Blobs.GetPropertiesAsync(Containers.Datasets, JobPaths.TrainData(ids[0])));
        using var terminateFinished = await _host.Client.PostAsync($"/api/jobs/{ids[1]}/terminate", null);
        Assert.Equal(HttpStatusCode.Gone, terminateFinished.StatusCode);
    }
}
