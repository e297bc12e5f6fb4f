using FineTune.Synthesis.Tests.Support;

namespace FineTune.Synthesis.Tests;

/// <summary>An Azure OpenAI resource through Azure.AI.OpenAI's AzureOpenAIClient, against a real loopback server.</summary>
public sealed class AzureOpenAITests
{
    [Fact]
    public async Task Complete_AzureResourceWithKey_CallsTheDeploymentRouteWithApiKeyHeader()
    {
        await using var server = await FakeOpenAIServer.StartAsync((_, c) => FakeOpenAIServer.Complete(c, "azure ok", 12, 3));
        var client = OpenAIChatCompletionClient.Create(
            new EndpointOptions { Endpoint = server.Root, AzureOpenAI = true, ApiKey = "azure-key-1" }, "my-deployment");

        var result = await client.CompleteAsync("hello", new GenerationSettings { Model = "my-deployment", MaxTokens = 77 }, CancellationToken.None);

        Assert.Equal("azure ok", result.Text);
        Assert.Equal((12, 3), (result.PromptTokens, result.CompletionTokens));
        var request = server.Requests.Single();
        Assert.Equal("/openai/deployments/my-deployment/chat/completions", request.Path);
        Assert.Matches(@"^\?api-version=\d{4}-\d{2}-\d{2}", request.Query);
        Assert.Equal("azure-key-1", request.ApiKey);
        Assert.True(string.IsNullOrEmpty(request.Authorization), $"no bearer with a key, got '{request.Authorization}'");
        Assert.Equal("hello", request.Prompt);
        // Azure takes the token limit as max_tokens; either way the one asked for is sent.
        var limit = request.Body.TryGetProperty("max_tokens", out var m) ? m : request.Body.GetProperty("max_completion_tokens");
        Assert.Equal(77, limit.GetInt32());
    }

    [Fact]
    public async Task Complete_OpenAIEndpoint_UsesTheV1RouteAndBearerKey()
    {
        await using var server = await FakeOpenAIServer.StartAsync((_, c) => FakeOpenAIServer.Complete(c, "openai ok"));
        var client = OpenAIChatCompletionClient.Create(new EndpointOptions { Endpoint = server.BaseUrl, ApiKey = "sk-1" }, "gpt-4.1-mini");

        await client.CompleteAsync("hello", new GenerationSettings { Model = "gpt-4.1-mini" }, CancellationToken.None);

        var request = server.Requests.Single();
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer sk-1", request.Authorization);
        Assert.Null(request.ApiKey);
    }

    [Theory]
    [InlineData("https://res.openai.azure.com/", null, true)]
    [InlineData("https://res.openai.azure.com", null, true)]
    [InlineData("https://RES.OpenAI.Azure.com/openai/", null, true)]
    [InlineData("https://res.openai.azure.com/openai/v1/", null, false)]   // its OpenAI-compatible v1 API
    [InlineData("https://api.openai.com/v1", null, false)]
    [InlineData("http://127.0.0.1:8080/", true, true)]
    [InlineData("https://res.openai.azure.com/", false, false)]
    public void IsAzureOpenAI_FromHostOrExplicitOption(string endpoint, bool? azure, bool expected)
    {
        Assert.Equal(expected, new EndpointOptions { Endpoint = new Uri(endpoint), AzureOpenAI = azure }.IsAzureOpenAI);
    }

    [Fact]
    public void Endpoint_AzureResourceWithoutKey_UsesEntraId_SoNeedsHttps()
    {
        var https = new EndpointOptions { Endpoint = new Uri("https://res.openai.azure.com/") };
        Assert.True(https.Validated().UsesEntraId);
        Assert.False((https with { ApiKey = "k" }).UsesEntraId);
        var error = Assert.Throws<ArgumentException>(() => new EndpointOptions { Endpoint = new Uri("http://127.0.0.1:8080/"), AzureOpenAI = true }.Validated());
        Assert.Contains("https", error.Message);
    }
}
