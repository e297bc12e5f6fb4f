using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Host.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace FineTune.Host.Tests.Serving;

/// <summary>Raw HTTP against the served API: OpenAI's error shape and status codes, and the SSE framing.</summary>
[Collection(ServingCollection.Name)]
public sealed class ServingErrorTests(ServingFixture fx)
{
    private async Task<(HttpStatusCode Status, JsonObject? Body, HttpResponseMessage Response)> PostAsync(string json)
    {
        var response = await fx.Host.Client.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text) as JsonObject, response);
    }

    private static void AssertError(JsonObject? body, string type, string? param, string? code = null)
    {
        var error = body?["error"]?.AsObject() ?? throw new Xunit.Sdk.XunitException("no error object in " + body);
        Assert.False(string.IsNullOrEmpty(error["message"]?.GetValue<string>()));
        Assert.Equal(type, error["type"]?.GetValue<string>());
        Assert.Equal(param, error["param"]?.GetValue<string>());
        if (code is not null) Assert.Equal(code, error["code"]?.GetValue<string>());
        Assert.True(error.ContainsKey("code"), "OpenAI errors always carry code (null when none)");
    }

    [Theory]
    [InlineData("""{"model":"tiny-qwen2","messages":[]}""", "messages")]
    [InlineData("""{"model":"tiny-qwen2"}""", "messages")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"wizard","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"},{"role":"tool","content":"x"}]}""", "messages[1].role")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user"}]}""", "messages[0].content")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"n":2}""", "n")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"temperature":3}""", "temperature")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"top_p":0}""", "top_p")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "max_tokens")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":100000}""", "max_completion_tokens")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"stop":["a","b","c","d","e"]}""", "stop")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"seed":"x"}""", "seed")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}""", "stream_options")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"frequency_penalty":2.5}""", "frequency_penalty")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"presence_penalty":"x"}""", "presence_penalty")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"logit_bias":{"5":101}}""", "logit_bias")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"logit_bias":{"abc":1}}""", "logit_bias")]
    [InlineData("""{"model":"tiny-qwen2","messages":[{"role":"user","content":"hi"}],"logit_bias":{"99999999":1}}""", "logit_bias")]
    public async Task InvalidRequest_Is400_NamingTheParameter(string json, string param)
    {
        var (status, body, _) = await PostAsync(json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertError(body, "invalid_request_error", param);
    }

    [Fact]
    public async Task MalformedJson_Is400()
    {
        var (status, body, _) = await PostAsync("{\"model\": ");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertError(body, "invalid_request_error", null);
    }

    [Fact]
    public async Task UnknownModel_Is404_ModelNotFound()
    {
        var (status, body, _) = await PostAsync("""{"model":"ft:tiny-qwen2:x:nojob","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.NotFound, status);
        AssertError(body, "invalid_request_error", "model", "model_not_found");
        var get = await fx.Host.Client.GetAsync("/v1/models/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task LegacyMaxTokens_AndTextParts_AreAccepted()
    {
        var (status, body, _) = await PostAsync("""
            {"model":"beta","temperature":0,"max_tokens":3,
             "messages":[{"role":"developer","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hel"},{"type":"text","text":"lo"}]}]}
            """);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("chat.completion", body!["object"]!.GetValue<string>());
        Assert.Equal("beta", body["model"]!.GetValue<string>());
        var usage = body["usage"]!;
        Assert.True(usage["completion_tokens"]!.GetValue<int>() <= 3);
        var expected = fx.Reference("beta", [("system", "be brief"), ("user", "hello")], 3).Text;
        Assert.Equal(expected, body["choices"]![0]!["message"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stream_IsServerSentEvents_EndingWithDone_UsageOnlyWhenAsked()
    {
        foreach (var includeUsage in new[] { false, true })
        {
            var json = $$"""{"model":"tiny-qwen2","stream":true,"temperature":0,"max_tokens":8,"messages":[{"role":"user","content":"hi"}]{{(includeUsage ? ",\"stream_options\":{\"include_usage\":true}" : "")}}}""";
            var (status, _, response) = await PostAsyncRaw(json);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.All(events, e => Assert.StartsWith("data: ", e));
            Assert.Equal("data: [DONE]", events[^1]);
            var chunks = events[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!.AsObject()).ToList();
            Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c["object"]!.GetValue<string>()));
            Assert.Single(chunks.Select(c => c["id"]!.GetValue<string>()).Distinct());
            Assert.Equal("assistant", chunks[0]["choices"]![0]!["delta"]!["role"]!.GetValue<string>());
            var last = includeUsage ? chunks[^2] : chunks[^1];
            Assert.NotNull(last["choices"]![0]!["finish_reason"]);
            if (includeUsage)
            {
                Assert.Empty(chunks[^1]["choices"]!.AsArray());
                Assert.True(chunks[^1]["usage"]!["total_tokens"]!.GetValue<int>() > 0);
                Assert.All(chunks[..^1], c => Assert.True(c.ContainsKey("usage") && c["usage"] is null));
            }
            else Assert.All(chunks, c => Assert.False(c.ContainsKey("usage")));
        }
    }

    [Fact]
    public async Task ClientDisconnect_MidStream_StopsGenerating_AndTheServerKeepsServing()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gamma","stream":true,"temperature":0,"max_tokens":448,"messages":[{"role":"user","content":"count"}]}""",
                Encoding.UTF8, "application/json"),
        };
        // Precondition: unless cut short, this request generates all 448 tokens (as many as the tiny model's 512 positions allow,
        // so that generation outlasts the moment the server sees the client leave, even on a fast machine).
        Assert.Equal(Models.Generation.FinishReason.Length, fx.Reference("gamma", [("user", "count")], 448).Finish);
        var before = fx.Worker.Stats;
        // No draining on dispose (HttpClient otherwise reads the rest of the response to reuse the connection).
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = fx.Host.Client.BaseAddress };
        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (fx.Worker.Stats.Sequences == before.Sequences && DateTime.UtcNow < deadline) await Task.Delay(20);
        var after = fx.Worker.Stats;
        Assert.Equal(before.Sequences + 1, after.Sequences);
        // The worker counts a sequence's tokens when it ends: generation stopped when the client left, not at 448.
        Assert.True(after.CompletionTokens - before.CompletionTokens < 448, $"generated {after.CompletionTokens - before.CompletionTokens} tokens for a client that left");
        var (status, _, _) = await PostAsync("""{"model":"gamma","temperature":0,"max_tokens":2,"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task CancelledJob_StopsGeneratingWithinAFewTokens()
    {
        (string, string)[] messages = [("user", "count")];
        var reference = fx.Reference("gamma", messages, 300);
        Assert.Equal(Models.Generation.FinishReason.Length, reference.Finish); // precondition: 300 tokens unless cut short
        var adapter = fx.Host.Services.GetRequiredService<ModelResolver>().Resolve("gamma");
        var job = new GenerationJob(adapter, fx.Template.Render(messages, addGenerationPrompt: true).ids, 300, new Models.Generation.SamplingOptions(), [], fx.Tokenizer);
        fx.Worker.Submit(job);
        await job.Deltas.ReadAsync();   // generating now
        job.Cancel();                   // what the handler does when the client goes away
        var outcome = await job.Outcome.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(outcome.CompletionTokens < 300, $"generated {outcome.CompletionTokens} tokens after the cancel");
    }

    private async Task<(HttpStatusCode, string, HttpResponseMessage)> PostAsyncRaw(string json)
    {
        var response = await fx.Host.Client.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, "", response);
    }
}
