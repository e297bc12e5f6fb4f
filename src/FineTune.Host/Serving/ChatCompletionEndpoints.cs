using System.Text;
using System.Text.Json;
using FineTune.Host.Hosting;
using FineTune.Models.Generation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FineTune.Host.Serving;

/// <summary>
/// The OpenAI-compatible API: <c>GET /v1/models</c>, <c>GET /v1/models/{id}</c> and <c>POST /v1/chat/completions</c>
/// (JSON or server-sent events ending in <c>data: [DONE]</c>), for the base model and every catalogued adapter.
/// Errors use OpenAI's shape and status codes (400 invalid, 404 unknown model, 429 queue full with Retry-After).
/// </summary>
public sealed class ChatCompletionEndpoints(ServedModel served, ModelResolver models, GenerationWorker worker, TimeProvider time) : IEndpointGroup
{
    public void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/v1/models", ListModels);
        endpoints.MapGet("/v1/models/{**id}", GetModel);
        endpoints.MapPost("/v1/chat/completions", CompleteAsync);
    }

    private async Task ListModels(HttpContext http)
    {
        var all = models.List();
        await WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var m in all) WriteModel(w, m);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private async Task GetModel(HttpContext http, string id)
    {
        if (models.List().FirstOrDefault(m => m.Id == id) is not { } model)
        {
            await models.NotServed(id).WriteAsync(http.Response, http.RequestAborted);
            return;
        }
        await WriteJsonAsync(http, w => WriteModel(w, model));
    }

    private void WriteModel(Utf8JsonWriter w, AdapterEntry m)
    {
        w.WriteStartObject();
        w.WriteString("id", m.Id);
        w.WriteString("object", "model");
        w.WriteNumber("created", m.Created.ToUnixTimeSeconds());
        w.WriteString("owned_by", m.OwnedBy);
        if (m.Id != served.Id) w.WriteString("parent", served.Id);
        w.WriteEndObject();
    }

    private async Task CompleteAsync(HttpContext http)
    {
        var ct = http.RequestAborted;
        GenerationJob job;
        ChatCompletionRequest request;
        try
        {
            request = ChatRequestParser.Parse(await ReadBodyAsync(http.Request, ct));
            var adapter = await models.ResolveAsync(request.Model, ct);
            job = CreateJob(request, adapter);
            worker.Submit(job);
        }
        catch (OpenAiError e)
        {
            await e.WriteAsync(http.Response, ct);
            return;
        }
        await using var cancel = ct.Register(job.Cancel);
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        try
        {
            if (request.Stream) await StreamAsync(http, request, job, id, created, ct);
            else
            {
                var outcome = await job.Outcome.WaitAsync(ct);
                await WriteJsonAsync(http, w => ChatCompletionJson.Completion(w, id, created, request.Model, outcome));
            }
        }
        catch (OpenAiError e) when (!http.Response.HasStarted)
        {
            await e.WriteAsync(http.Response, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally
        {
            job.Cancel(); // however the handler ends (client gone, write failed), the worker stops spending steps on it
        }
    }

    private GenerationJob CreateJob(ChatCompletionRequest request, AdapterEntry? adapter)
    {
        int[] prompt;
        try { prompt = served.Template.Render(request.Messages, addGenerationPrompt: true).ids; }
        catch (ArgumentException e) { throw OpenAiError.Invalid(e.Message, "messages"); }
        int room = served.ContextLength - prompt.Length;
        if (room < 1)
            throw OpenAiError.Invalid($"The messages take {prompt.Length} tokens; the model's context is {served.ContextLength}.", "messages", "context_length_exceeded");
        if (request.MaxTokens > room)
            throw OpenAiError.Invalid($"The messages take {prompt.Length} tokens and max_completion_tokens is {request.MaxTokens}; the model's context is {served.ContextLength}.",
                "max_completion_tokens", "context_length_exceeded");
        var sampling = new SamplingOptions
        {
            Temperature = request.Temperature,
            TopP = request.TopP,
            Seed = request.Seed is { } s ? unchecked((ulong)s) : null,
            FrequencyPenalty = request.FrequencyPenalty,
            PresencePenalty = request.PresencePenalty,
            LogitBias = request.LogitBias,
        };
        if (request.LogitBias?.Keys.FirstOrDefault(id => id >= served.Model.Config.VocabSize, -1) is >= 0 and var outside)
            throw OpenAiError.Invalid($"logit_bias names token {outside}; the vocabulary has {served.Model.Config.VocabSize} tokens.", "logit_bias");
        return new GenerationJob(adapter, prompt, request.MaxTokens ?? room, sampling, request.Stop, served.Tokenizer);
    }

    private static async Task StreamAsync(HttpContext http, ChatCompletionRequest request, GenerationJob job, string id, long created, CancellationToken ct)
    {
        // Wait for the worker to start (or fail) this request before committing to 200 and an event stream.
        var more = await job.Deltas.WaitToReadAsync(ct);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        var body = http.Response.Body;
        await SendAsync(body, w => ChatCompletionJson.Chunk(w, id, created, request.Model, request.IncludeUsage, role: "assistant", content: "", finishReason: null), ct);
        while (more)
        {
            while (job.Deltas.TryRead(out var delta))
                await SendAsync(body, w => ChatCompletionJson.Chunk(w, id, created, request.Model, request.IncludeUsage, role: null, content: delta, finishReason: null), ct);
            try { more = await job.Deltas.WaitToReadAsync(ct); }
            catch (OpenAiError e)
            {
                // Mid-stream failure: the status is sent already, so the error travels as an event.
                await SendAsync(body, e.WriteJson, ct);
                return;
            }
        }
        var outcome = await job.Outcome;
        await SendAsync(body, w => ChatCompletionJson.Chunk(w, id, created, request.Model, request.IncludeUsage, role: null, content: null, finishReason: outcome.FinishReason), ct);
        if (request.IncludeUsage) await SendAsync(body, w => ChatCompletionJson.UsageChunk(w, id, created, request.Model, outcome), ct);
        await body.WriteAsync("data: [DONE]\n\n"u8.ToArray(), ct);
        await body.FlushAsync(ct);
    }

    private static async Task SendAsync(Stream body, Action<Utf8JsonWriter> write, CancellationToken ct)
    {
        await body.WriteAsync("data: "u8.ToArray(), ct);
        await body.WriteAsync(Json.Bytes(write), ct);
        await body.WriteAsync("\n\n"u8.ToArray(), ct);
        await body.FlushAsync(ct);
    }

    /// <summary>The body as JSON whatever its Content-Type (curl -d sends a form type), as lenient servers do.</summary>
    private static async Task<JsonElement> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw OpenAiError.Invalid($"The body is not valid JSON: {e.Message}", null);
        }
    }

    private static async Task WriteJsonAsync(HttpContext http, Action<Utf8JsonWriter> write)
    {
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(Json.Bytes(write), http.RequestAborted);
    }
}
