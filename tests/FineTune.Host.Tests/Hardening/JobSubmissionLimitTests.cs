using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Host.Tests.Support;

namespace FineTune.Host.Tests.Hardening;

public sealed class JobSubmissionLimitTests
{
    [Fact]
    public async Task SubmissionBurst_BeyondThePermits_Gets429WithRetryAfterAsProblemDetails()
    {
        await using var host = await TestHost.StartAsync(values: new Dictionary<string, string>
        {
            ["Limits:JobSubmissions"] = "3",
            ["Limits:JobSubmissionWindow"] = "00:05:00",
        });
        // Submissions naming a blob that does not exist: each admitted one is a quick 404, no job starts.
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => host.Client.PostAsync("/api/jobs",
            new StringContent($$"""{"blob":"uploads/missing-{{i}}.jsonl"}""", Encoding.UTF8, "application/json"))));

        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.NotFound));
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(7, refused.Count);
        foreach (var r in refused)
        {
            var after = int.Parse(r.Headers.GetValues("Retry-After").Single());
            Assert.InRange(after, 1, 300);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType!.MediaType);
            var problem = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
            Assert.Equal(429, problem["status"]!.GetValue<int>());
            Assert.Contains("Limits:JobSubmissions", problem["detail"]!.GetValue<string>());
        }
        // Reading is not limited.
        using var list = await host.Client.GetAsync("/api/jobs");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Fact]
    public async Task JobApiClient_ToldToRetryAfter_SubmitsEachFileOnceTheWindowOpens()
    {
        await using var host = await TestHost.StartAsync(values: new Dictionary<string, string>
        {
            ["Limits:JobSubmissions"] = "1",
            ["Limits:JobSubmissionWindow"] = "00:00:01",
        });
        var dir = FineTune.Tests.Support.RepoPaths.NewTempDirectory("submit-burst");
        var files = Enumerable.Range(0, 3).Select(i => Path.Combine(dir, $"burst{i}.jsonl")).ToList();
        foreach (var file in files) await File.WriteAllTextAsync(file, FineTune.Tests.Support.ChatData.Valid(4));
        var client = new FineTune.Host.Jobs.JobApiClient(host.Client);

        var ids = new List<string>();
        foreach (var file in files) ids.Add((await client.SubmitAsync(file, null, CancellationToken.None))["id"]!.GetValue<string>());

        Assert.Equal(3, ids.Distinct().Count());
        Directory.Delete(dir, recursive: true);
    }
}
