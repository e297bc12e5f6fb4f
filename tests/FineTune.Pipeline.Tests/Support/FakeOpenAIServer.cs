using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FineTune.Tests.Support;

/// <summary>
/// A real HTTP server (Kestrel on 127.0.0.1, random port) speaking the OpenAI chat-completions protocol, adapted from the
/// synthesis tests: it answers every request with one JSON line per sentence of the passage in the prompt, except that a
/// passage holding <see cref="PoisonMarker"/> is answered with HTTP 400 (a refusal the client does not retry, and that
/// is not fatal to the job), so that chunk fails every time.
/// </summary>
public sealed class FakeOpenAIServer : IAsyncDisposable
{
    public const string PoisonMarker = "XQZPOISONXQZ";
    private static readonly JsonSerializerOptions LineJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Prompt, int Status)> _requests = new();

    private FakeOpenAIServer(WebApplication app) => _app = app;

    /// <summary>The base URL a client is configured with, ending in /v1/.</summary>
    public Uri BaseUrl { get; private set; } = null!;
    public IReadOnlyList<(string Prompt, int Status)> Requests => _requests.ToList();

    public static async Task<FakeOpenAIServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeOpenAIServer(app);
        app.MapPost("/v1/chat/completions", async context =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            var messages = body.RootElement.GetProperty("messages").EnumerateArray().ToList();
            var prompt = string.Concat(messages.Select(m => m.GetProperty("content").GetString()));
            if (prompt.Contains(PoisonMarker, StringComparison.Ordinal))
            {
                server._requests.Enqueue((prompt, 400));
                context.Response.StatusCode = 400;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"error":{"message":"scripted refusal","type":"invalid_request_error","code":"400"}}""");
                return;
            }
            server._requests.Enqueue((prompt, 200));
            var system = messages.FirstOrDefault(m => m.GetProperty("role").GetString() == "system") is { ValueKind: JsonValueKind.Object } s
                ? s.GetProperty("content").GetString() ?? ""
                : "";
            await Complete(context, Echo(system, prompt));
        });
        await app.StartAsync();
        server.BaseUrl = new Uri(app.Urls.Single().TrimEnd('/') + "/v1/");
        return server;
    }

    /// <summary>One pair per sentence of the passage: a question naming it, the sentence as the answer (grounded by construction).</summary>
    private static string Echo(string system, string prompt)
    {
        var sentences = ContentOf(prompt)
            .Split(['.', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(s => s.Length >= 12)
            .Distinct()
            .Take(10);
        return string.Join("\n", sentences.Select(s => JsonSerializer.Serialize(
            new { system, user = $"What does the manual say about this: {s}?", assistant = s + "." }, LineJson)));
    }

    private static string ContentOf(string prompt)
    {
        const string marker = "Passage:\n";
        var at = prompt.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return prompt;
        var content = prompt[(at + marker.Length)..];
        var end = content.IndexOf("\n\nThese questions have already been asked", StringComparison.Ordinal);
        return end >= 0 ? content[..end] : content;
    }

    private static Task Complete(HttpContext context, string content)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            id = "chatcmpl-test",
            @object = "chat.completion",
            created = 1_700_000_000,
            model = "test-model",
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 100, completion_tokens = 50, total_tokens = 150 },
        }));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
