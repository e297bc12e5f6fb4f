using System.ClientModel;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FineTune.Synthesis.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace FineTune.Synthesis.Tests;

/// <summary>The OpenAI SDK client behind Polly, against a scripted server on loopback.</summary>
public sealed class ResilienceTests
{
    private static readonly GenerationSettings Settings = new() { Model = "test-model" };

    /// <summary>Short delays so tests run fast; the behaviour is the production one.</summary>
    private static ResilienceOptions Fast(int maxRetries = 4) => new()
    {
        MaxRetries = maxRetries,
        BaseDelay = TimeSpan.FromMilliseconds(10),
        MaxDelay = TimeSpan.FromMilliseconds(100),
        AttemptTimeout = TimeSpan.FromSeconds(5),
        BreakerMinimumThroughput = 100, // breaker out of the way unless a test wants it
    };

    private static ResilientChatClient Client(FakeOpenAIServer server, ResilienceOptions options) =>
        new(OpenAIChatCompletionClient.Create(new EndpointOptions { Endpoint = server.BaseUrl, ApiKey = "sk-test" }, "test-model"), options);

    /// <summary>A script that fails the first requests as given, then answers "ok".</summary>
    private static FakeOpenAIServer.Script FailFirst(params Func<Microsoft.AspNetCore.Http.HttpContext, Task>[] failures) =>
        (request, context) => request.Sequence <= failures.Length
            ? failures[request.Sequence - 1](context)
            : FakeOpenAIServer.Complete(context, "ok", promptTokens: 11, completionTokens: 7);

    [Fact]
    public async Task Complete_GoodResponse_ReturnsTextUsageAndSendsSettings()
    {
        await using var server = await FakeOpenAIServer.StartAsync(FailFirst());
        using var client = Client(server, Fast());

        var result = await client.CompleteAsync("hello", Settings with { Temperature = 0.3f, MaxTokens = 4096, FrequencyPenalty = 0.5f }, CancellationToken.None);

        Assert.Equal(new CompletionResult("ok", 11, 7, "stop"), result);
        var body = server.Requests.Single().Body;
        Assert.Equal("test-model", body.GetProperty("model").GetString());
        Assert.Equal(0.3, body.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(0.5, body.GetProperty("frequency_penalty").GetDouble(), 3);
        Assert.Equal(4096, body.GetProperty("max_completion_tokens").GetInt32());
        Assert.False(body.TryGetProperty("max_tokens", out _));
        Assert.Equal("Bearer sk-test", server.Requests.Single().Authorization);
    }

    [Fact]
    public async Task Complete_LegacyMaxTokensField_SendsMaxTokensOnly()
    {
        await using var server = await FakeOpenAIServer.StartAsync(FailFirst());
        using var client = Client(server, Fast());

        await client.CompleteAsync("hello", Settings with { MaxTokens = 2048, LegacyMaxTokensField = true }, CancellationToken.None);

        var body = server.Requests.Single().Body;
        Assert.Equal(2048, body.GetProperty("max_tokens").GetInt32());
        Assert.False(body.TryGetProperty("max_completion_tokens", out _));
    }

    /// <summary>
    /// Runs <paramref name="call"/> on a fake clock, moving it on in 10 ms steps until the server has seen a second request;
    /// returns the fake time that took. Only time passing on this clock can end Polly's wait, so the figure is exact from
    /// below: a retry that came sooner than told would show a smaller one.
    /// </summary>
    private static async Task<TimeSpan> FakeTimeUntilRetryAsync(FakeOpenAIServer server, FakeTimeProvider clock, Task call)
    {
        var start = clock.GetUtcNow();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (server.Requests.Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no retry after {clock.GetUtcNow() - start} of fake time");
            Assert.False(call.IsCompleted, "the call ended without a retry");
            if (server.Answered.Count == 1) clock.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(5); // lets the retry's request reach the server
        }
        var waited = clock.GetUtcNow() - start;
        await call;
        return waited;
    }

    [Fact]
    public async Task Complete_429WithRetryAfter_WaitsAsToldThenSucceeds()
    {
        await using var server = await FakeOpenAIServer.StartAsync(FailFirst(c => FakeOpenAIServer.Fail(c, 429, ("Retry-After", "1"))));
        var clock = new FakeTimeProvider();
        using var client = Client(server, Fast() with { TimeProvider = clock });

        var call = client.CompleteAsync("hello", Settings, CancellationToken.None);
        var waited = await FakeTimeUntilRetryAsync(server, clock, call);

        Assert.Equal("ok", (await call).Text);
        Assert.Equal(2, server.Requests.Count);
        Assert.True(waited >= TimeSpan.FromSeconds(1), $"retried after {waited.TotalMilliseconds} ms; Retry-After said 1 s");
        Assert.Equal(1, client.Statistics.RetriesByCause["429"]);
        Assert.Equal(2, client.Statistics.Attempts);
        Assert.Equal(1, client.Statistics.Requests);
    }

    [Fact]
    public async Task Complete_RetryAfterMs_IsPreferredOverBackoff()
    {
        await using var server = await FakeOpenAIServer.StartAsync(FailFirst(c => FakeOpenAIServer.Fail(c, 429, ("retry-after-ms", "300"))));
        var clock = new FakeTimeProvider();
        using var client = Client(server, Fast() with { TimeProvider = clock });

        var waited = await FakeTimeUntilRetryAsync(server, clock, client.CompleteAsync("hello", Settings, CancellationToken.None));

        // The backoff alone is at most MaxDelay (100 ms).
        Assert.True(waited >= TimeSpan.FromMilliseconds(300), $"retried after {waited.TotalMilliseconds} ms; retry-after-ms said 300");
    }

    [Fact]
    public async Task Complete_500Twice_RetriesWithBackoffAndSucceeds()
    {
        await using var server = await FakeOpenAIServer.StartAsync(FailFirst(c => FakeOpenAIServer.Fail(c, 500), c => FakeOpenAIServer.Fail(c, 503)));
        using var client = Client(server, Fast());

        var result = await client.CompleteAsync("hello", Settings, CancellationToken.None);

        Assert.Equal("ok", result.Text);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(new Dictionary<string, long> { ["500"] = 1, ["503"] = 1 }, client.Statistics.RetriesByCause);
        Assert.Equal(7, client.Statistics.CompletionTokens); // only the successful attempt reports usage
    }

    [Fact]
    public async Task Complete_NoRetriesAllowed_SdkDoesNotRetryOnItsOwn()
    {
        await using var server = await FakeOpenAIServer.StartAsync(FailFirst(c => FakeOpenAIServer.Fail(c, 500)));
        using var client = Client(server, Fast(maxRetries: 0));

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteAsync("hello", Settings, CancellationToken.None));

        Assert.Equal(500, error.Status);
        Assert.Single(server.Requests); // the SDK's own retry policy is off: Polly is the only one retrying
        Assert.Equal(1, client.Statistics.Failed);
    }

    [Fact]
    public async Task Complete_SlowResponse_TimesOutAndRetries()
    {
        await using var server = await FakeOpenAIServer.StartAsync(FailFirst(async c =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), c.RequestAborted);
            await FakeOpenAIServer.Complete(c, "too late");
        }));
        using var client = Client(server, Fast() with { AttemptTimeout = TimeSpan.FromMilliseconds(300) });

        var result = await client.CompleteAsync("hello", Settings, CancellationToken.None);

        // Without the timeout the first attempt would have answered "too late" after 10 s.
        Assert.Equal("ok", result.Text);
        Assert.Equal(1, client.Statistics.RetriesByCause["timeout"]);
    }

    [Fact]
    public async Task Complete_DroppedConnection_IsRetried()
    {
        await using var server = await FakeOpenAIServer.StartAsync(FailFirst(FakeOpenAIServer.Drop));
        using var client = Client(server, Fast());

        var result = await client.CompleteAsync("hello", Settings, CancellationToken.None);

        Assert.Equal("ok", result.Text);
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(1, client.Statistics.RetriesByCause["network"]);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    public async Task Complete_ClientErrors_AreNotRetried(int status)
    {
        await using var server = await FakeOpenAIServer.StartAsync((_, c) => FakeOpenAIServer.Fail(c, status));
        using var client = Client(server, Fast());

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteAsync("hello", Settings, CancellationToken.None));

        Assert.Equal(status, error.Status);
        Assert.Single(server.Requests);
        Assert.Equal(status is 401 or 404, TransientFaults.IsFatal(error));
    }

    [Fact]
    public async Task Complete_ServerKeepsFailing_CircuitOpensAndStopsHammeringIt()
    {
        await using var server = await FakeOpenAIServer.StartAsync((_, c) => FakeOpenAIServer.Fail(c, 500));
        var options = Fast(maxRetries: 6) with
        {
            BreakerMinimumThroughput = 3,
            BreakerFailureRatio = 0.5,
            BreakerSamplingDuration = TimeSpan.FromSeconds(10),
            BreakDuration = TimeSpan.FromMilliseconds(500),
        };
        using var client = Client(server, options);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.CompleteAsync("hello", Settings, CancellationToken.None));

        // The last try met either the server (500) or the open circuit, depending on timing. 7 tries were allowed (1 + 6 retries); while the circuit was open some were turned away before any HTTP call.
        var turnedAway = client.Statistics.RetriesByCause.GetValueOrDefault("circuit_open");
        Assert.True(turnedAway > 0, "the circuit never opened");
        var lastTurnedAway = error is Polly.CircuitBreaker.BrokenCircuitException ? 1 : 0; // the final try is not a retry
        Assert.Equal(6, client.Statistics.Retries);
        Assert.Equal(7, client.Statistics.Attempts + turnedAway + lastTurnedAway);
        Assert.Equal(client.Statistics.Attempts, server.Requests.Count);
        Assert.True(error is ClientResultException { Status: 500 } or Polly.CircuitBreaker.BrokenCircuitException, error.ToString());
    }

    [Fact]
    public async Task Complete_ManyAtOnce_AtMostMaxConcurrencyInFlight()
    {
        await using var server = await FakeOpenAIServer.StartAsync(async (_, c) =>
        {
            await Task.Delay(100);
            await FakeOpenAIServer.Complete(c, "ok");
        });
        using var client = Client(server, Fast() with { MaxConcurrency = 2 });

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.CompleteAsync("hello", Settings, CancellationToken.None)));

        Assert.Equal(8, server.Requests.Count);
        Assert.Equal(2, server.MaxInFlight);
    }

    [Fact]
    public async Task Complete_CallerCancels_IsNotRetried()
    {
        await using var server = await FakeOpenAIServer.StartAsync(async (_, c) => await Task.Delay(TimeSpan.FromSeconds(10), c.RequestAborted));
        using var client = Client(server, Fast());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CompleteAsync("hello", Settings, cts.Token));

        Assert.Single(server.Requests);
        Assert.Equal(0, client.Statistics.Retries);
    }
}

/// <summary>Microsoft Entra ID: the token from an Azure.Identity credential is sent as the bearer.</summary>
public sealed class EntraIdTests
{
    private sealed class FixedTokenCredential : Azure.Core.TokenCredential
    {
        public int Calls;
        public List<string[]> Scopes { get; } = [];

        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext context, CancellationToken ct)
        {
            Interlocked.Increment(ref Calls);
            Scopes.Add(context.Scopes);
            return new Azure.Core.AccessToken("entra-token-123", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext context, CancellationToken ct) =>
            ValueTask.FromResult(GetToken(context, ct));
    }

    /// <summary>A throw-away self-signed certificate for 127.0.0.1 (bearer tokens are only sent over https).</summary>
    /// <summary>An HTTP client that trusts exactly this certificate (the loopback server's self-signed one).</summary>
    private static HttpClient TrustingOnly(X509Certificate2 certificate) => new(new HttpClientHandler
    {
        ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
    });

    private static X509Certificate2 LoopbackCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    [Fact]
    public async Task Complete_WithEntraIdCredential_SendsItsTokenForTheCognitiveServicesScope()
    {
        using var certificate = LoopbackCertificate();
        await using var server = await FakeOpenAIServer.StartAsync((_, c) => FakeOpenAIServer.Complete(c, "ok"), certificate);
        using var http = TrustingOnly(certificate);
        var credential = new FixedTokenCredential();
        var client = OpenAIChatCompletionClient.Create(
            new EndpointOptions { Endpoint = server.BaseUrl, UseEntraId = true, Credential = credential, HttpClient = http }, "gpt-4.1-mini");

        var result = await client.CompleteAsync("hello", new GenerationSettings { Model = "gpt-4.1-mini" }, CancellationToken.None);

        Assert.Equal("ok", result.Text);
        Assert.Equal("https", server.BaseUrl.Scheme);
        Assert.Equal("Bearer entra-token-123", server.Requests.Single().Authorization);
        Assert.Equal(["https://cognitiveservices.azure.com/.default"], credential.Scopes.First());
    }

    [Fact]
    public async Task Complete_AzureResourceWithoutKey_SendsTheEntraIdTokenToTheDeploymentRoute()
    {
        using var certificate = LoopbackCertificate();
        await using var server = await FakeOpenAIServer.StartAsync((_, c) => FakeOpenAIServer.Complete(c, "ok"), certificate);
        using var http = TrustingOnly(certificate);
        var credential = new FixedTokenCredential();
        var client = OpenAIChatCompletionClient.Create(
            new EndpointOptions { Endpoint = server.Root, AzureOpenAI = true, Credential = credential, HttpClient = http }, "my-deployment");

        var result = await client.CompleteAsync("hello", new GenerationSettings { Model = "my-deployment" }, CancellationToken.None);

        Assert.Equal("ok", result.Text);
        var request = server.Requests.Single();
        Assert.Equal("/openai/deployments/my-deployment/chat/completions", request.Path);
        Assert.Equal("Bearer entra-token-123", request.Authorization);
        Assert.Null(request.ApiKey);
        Assert.Equal(["https://cognitiveservices.azure.com/.default"], credential.Scopes.First());
    }

    [Fact]
    public void Endpoint_EntraIdOverPlainHttp_IsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new EndpointOptions { Endpoint = new Uri("http://127.0.0.1:8080/v1/"), UseEntraId = true }.Validated());

        Assert.Contains("https", error.Message);
    }

    [Fact]
    public void Endpoint_KeyAndEntraIdTogether_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new EndpointOptions { Endpoint = new Uri("https://x/v1/"), ApiKey = "k", UseEntraId = true }.Validated());
    }
}
