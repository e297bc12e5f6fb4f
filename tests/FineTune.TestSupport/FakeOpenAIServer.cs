using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace FineTune.Tests.Support;

/// <summary>
/// A real HTTP server (Kestrel on 127.0.0.1, random port) speaking the OpenAI chat-completions protocol. Each
/// request is recorded and handed to the test's script, which answers with a completion, an error status (with
/// headers such as Retry-After), a slow response or a dropped connection.
/// </summary>
public sealed class FakeOpenAIServer : IAsyncDisposable
{
    public delegate Task Script(ReceivedRequest request, HttpContext context);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly ConcurrentQueue<(ReceivedRequest Request, int Status)> _answered = new();
    private int _sequence, _inFlight, _maxInFlight;

    public sealed record ReceivedRequest(int Sequence, string Path, string Model, string Prompt, JsonElement Body, DateTimeOffset At, string? Authorization)
    {
        public string Query { get; init; } = "";
        public string? ApiKey { get; init; }
    }

    private FakeOpenAIServer(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;
    /// <summary>The server's root, as an Azure OpenAI resource endpoint is given.</summary>
    public Uri Root { get; private set; } = null!;
    public IReadOnlyList<ReceivedRequest> Requests => _requests.OrderBy(r => r.Sequence).ToList();
    /// <summary>Each request whose script has finished, with the status it answered (a dropped connection's is whatever was set before the drop).</summary>
    public IReadOnlyList<(ReceivedRequest Request, int Status)> Answered => _answered.OrderBy(a => a.Request.Sequence).ToList();
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Starts the server; with <paramref name="certificate"/> it speaks https.</summary>
    public static async Task<FakeOpenAIServer> StartAsync(Script script, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        if (certificate is null)
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        else
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.UseUrls("https://127.0.0.1:0");
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
        }
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeOpenAIServer(app);
        // OpenAI's route, and an Azure OpenAI resource's (/openai/deployments/{deployment}/chat/completions?api-version=…)
        app.MapPost("/v1/chat/completions", Handle);
        app.MapPost("/openai/deployments/{deployment}/chat/completions", Handle);
        async Task Handle(HttpContext context)
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            var root = body.RootElement.Clone();
            var prompt = string.Concat(root.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
            var request = new ReceivedRequest(Interlocked.Increment(ref server._sequence), context.Request.Path, root.GetProperty("model").GetString() ?? "",
                prompt, root, DateTimeOffset.UtcNow, context.Request.Headers.Authorization.ToString())
            {
                Query = context.Request.QueryString.Value ?? "",
                ApiKey = context.Request.Headers.TryGetValue("api-key", out var key) ? key.ToString() : null,
            };
            server._requests.Enqueue(request);
            var now = Interlocked.Increment(ref server._inFlight);
            int seen;
            while ((seen = Volatile.Read(ref server._maxInFlight)) < now && Interlocked.CompareExchange(ref server._maxInFlight, now, seen) != seen) { }
            try
            {
                await script(request, context);
            }
            finally
            {
                server._answered.Enqueue((request, context.Response.StatusCode));
                Interlocked.Decrement(ref server._inFlight);
            }
        }
        await app.StartAsync();
        server.Root = new Uri(app.Urls.Single().TrimEnd('/') + "/");
        server.BaseUrl = new Uri(server.Root, "v1/");
        return server;
    }

    /// <summary>Answers with a chat.completion carrying <paramref name="content"/> and the given usage.</summary>
    public static Task Complete(HttpContext context, string content, int promptTokens = 100, int completionTokens = 50, string finishReason = "stop")
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            id = "chatcmpl-test",
            @object = "chat.completion",
            created = 1_700_000_000,
            model = "test-model",
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = finishReason } },
            usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
        }));
    }

    /// <summary>Answers with an OpenAI-style error body and status, plus any headers (e.g. Retry-After).</summary>
    public static Task Fail(HttpContext context, int status, params (string Name, string Value)[] headers)
    {
        context.Response.StatusCode = status;
        foreach (var (name, value) in headers)
            context.Response.Headers[name] = value;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync($$$"""{"error":{"message":"scripted {{{status}}}","type":"test","code":"{{{status}}}"}}""");
    }

    /// <summary>Drops the TCP connection without answering.</summary>
    public static Task Drop(HttpContext context)
    {
        context.Abort();
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
