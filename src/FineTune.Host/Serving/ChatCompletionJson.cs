using System.Text.Json;

namespace FineTune.Host.Serving;

/// <summary>The <c>chat.completion</c> and <c>chat.completion.chunk</c> objects, as OpenAI writes them.</summary>
internal static class ChatCompletionJson
{
    public static void Completion(Utf8JsonWriter w, string id, long created, string model, GenerationOutcome outcome)
    {
        Header(w, id, "chat.completion", created, model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        w.WriteString("content", outcome.Text);
        w.WriteNull("refusal");
        w.WriteEndObject();
        w.WriteNull("logprobs");
        w.WriteString("finish_reason", outcome.FinishReason);
        w.WriteEndObject();
        w.WriteEndArray();
        Usage(w, outcome);
        w.WriteEndObject();
    }

    /// <summary>One delta; with include_usage every chunk but the last carries <c>"usage": null</c>.</summary>
    public static void Chunk(Utf8JsonWriter w, string id, long created, string model, bool includeUsage, string? role, string? content, string? finishReason)
    {
        Header(w, id, "chat.completion.chunk", created, model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        if (role is not null) w.WriteString("role", role);
        if (content is not null) w.WriteString("content", content);
        w.WriteEndObject();
        w.WriteNull("logprobs");
        if (finishReason is null) w.WriteNull("finish_reason"); else w.WriteString("finish_reason", finishReason);
        w.WriteEndObject();
        w.WriteEndArray();
        if (includeUsage) w.WriteNull("usage");
        w.WriteEndObject();
    }

    /// <summary>stream_options.include_usage: the extra chunk before [DONE], with no choices.</summary>
    public static void UsageChunk(Utf8JsonWriter w, string id, long created, string model, GenerationOutcome outcome)
    {
        Header(w, id, "chat.completion.chunk", created, model);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        Usage(w, outcome);
        w.WriteEndObject();
    }

    private static void Header(Utf8JsonWriter w, string id, string type, long created, string model)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", type);
        w.WriteNumber("created", created);
        w.WriteString("model", model);
        w.WriteNull("system_fingerprint");
    }

    private static void Usage(Utf8JsonWriter w, GenerationOutcome outcome)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", outcome.PromptTokens);
        w.WriteNumber("completion_tokens", outcome.CompletionTokens);
        w.WriteNumber("total_tokens", outcome.PromptTokens + outcome.CompletionTokens);
        w.WriteEndObject();
    }
}
