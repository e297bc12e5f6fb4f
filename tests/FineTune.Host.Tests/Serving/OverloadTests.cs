using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Host.Serving;
using FineTune.Host.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace FineTune.Host.Tests.Serving;

/// <summary>A host with a one-request batch and a one-request queue: more concurrent requests are refused with 429.</summary>
[Collection(ServingCollection.Name)]
public sealed class OverloadTests(ServingFixture fx)
{
    [Fact]
    public async Task QueueFull_Is429WithRetryAfter_AndAdmittedRequestsComplete()
    {
        var options = new ServingOptions
        {
            ModelDirectory = fx.ModelDir, BaseModelId = ServingFixture.BaseId, MaxBatchSize = 1, MaxQueuedRequests = 1, RetryAfter = TimeSpan.FromSeconds(3),
        };
        await using var host = await TestHost.StartAsync(configure: b => b.Services.AddFineTuneServing(options));
        // Long greedy generations (a long prompt keeps every step busy); distinct prompts so none can share a batch anyway.
        var body = (int i) => new StringContent(
            $$"""{"model":"tiny-qwen2","temperature":0,"max_tokens":200,"messages":[{"role":"user","content":"{{i}} {{string.Concat(Enumerable.Repeat("count the words in this sentence ", 8))}}"}]}""",
            Encoding.UTF8, "application/json");
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => host.Client.PostAsync("/v1/chat/completions", body(i))));

        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.OK) >= 1);
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        foreach (var r in refused)
        {
            Assert.Equal("3", r.Headers.GetValues("Retry-After").Single());
            var error = JsonNode.Parse(await r.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal("rate_limit_exceeded", error["code"]!.GetValue<string>());
        }
        Assert.Equal(0, host.Services.GetRequiredService<GenerationWorker>().Stats.Queued);
    }
}
