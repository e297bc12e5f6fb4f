using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using FineTune.Host.Hosting;
using FineTune.Models.Generation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
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

    private async Task ListModels(HttpContext http) =>
        await WriteJsonAsync(http, Json.Bytes(new ModelListObject("list", models.List().Select(ToModel).ToList()), ServingJsonContext.Default.ModelListObject));

    private async Task GetModel(HttpContext http, string id)
    {
        if (models.List().FirstOrDefault(m => m.Id == id) is not { } model)
        {
            await models.NotServed(id).WriteAsync(http.Response, http.RequestAborted);
            return;
        }
        await WriteJsonAsync(http, Json.Bytes(ToModel(model), ServingJsonContext.Default.ModelObject));
    }

    private ModelObject ToModel(AdapterEntry m) =>
        new(m.Id, "model", m.Created.ToUnixTimeSeconds(), m.OwnedBy, m.Id != served.Id ? served.Id : null);

    private async Task CompleteAsync(HttpContext http)
    {
        var ct = http.RequestAborted;
        GenerationJob job;
        ChatCompletionRequest request;
        try
        {
            request = ChatRequestParser.Parse((await ReadBodyAsync(http.Request, ct)).Span);
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
                await WriteJsonAsync(http, ChatCompletionJson.Completion(id, created, request.Model, outcome));
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

    /// <summary>
    /// Server-sent events as OpenAI frames them: <c>data: {chunk}</c> events (no <c>event:</c> field), then
    /// <c>data: [DONE]</c>, written by ASP.NET Core's <see cref="TypedResults.ServerSentEvents{T}(IAsyncEnumerable{SseItem{T}}, string?)"/>.
    /// </summary>
    private static async Task StreamAsync(HttpContext http, ChatCompletionRequest request, GenerationJob job, string id, long created, CancellationToken ct)
    {
        // Wait for the worker to start (or fail) this request before committing to 200 and an event stream.
        var more = await job.Deltas.WaitToReadAsync(ct);
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await TypedResults.ServerSentEvents(Events(request, job, id, created, more, ct)).ExecuteAsync(http);
    }

    private static async IAsyncEnumerable<SseItem<string>> Events(ChatCompletionRequest request, GenerationJob job, string id, long created,
        bool more, [EnumeratorCancellation] CancellationToken ct)
    {
        string Chunk(string? role, string? content, string? finish) =>
            ChatCompletionJson.Chunk(id, created, request.Model, request.IncludeUsage, role, content, finish);

        yield return new SseItem<string>(Chunk("assistant", "", null));
        while (more)
        {
            while (job.Deltas.TryRead(out var delta))
                yield return new SseItem<string>(Chunk(null, delta, null));
            OpenAiError? failed = null;
            try { more = await job.Deltas.WaitToReadAsync(ct); }
            catch (OpenAiError e) { failed = e; }
            if (failed is not null)
            {
                // Mid-stream failure: the status is sent already, so the error travels as an event.
                yield return new SseItem<string>(failed.ToJson());
                yield break;
            }
        }
        var outcome = await job.Outcome;
        yield return new SseItem<string>(Chunk(null, null, outcome.FinishReason));
        if (request.IncludeUsage) yield return new SseItem<string>(ChatCompletionJson.UsageChunk(id, created, request.Model, outcome));
        yield return new SseItem<string>("[DONE]");
    }

    /// <summary>The body's bytes whatever its Content-Type (curl -d sends a form type), as lenient servers do.</summary>
    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static async Task WriteJsonAsync(HttpContext http, ReadOnlyMemory<byte> json)
    {
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(json, http.RequestAborted);
    }
}
