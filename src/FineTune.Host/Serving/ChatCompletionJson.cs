namespace FineTune.Host.Serving;

/// <summary>The <c>chat.completion</c> and <c>chat.completion.chunk</c> objects, as OpenAI writes them.</summary>
internal static class ChatCompletionJson
{
    private static readonly ServingJsonContext Context = ServingJsonContext.Default;

    public static ReadOnlyMemory<byte> Completion(string id, long created, string model, GenerationOutcome outcome) =>
        Json.Bytes(new ChatCompletionObject(id, "chat.completion", created, model, null,
            [new CompletionChoice(0, new AssistantMessage("assistant", outcome.Text, null), null, outcome.FinishReason)],
            Usage(outcome)), Context.ChatCompletionObject);

    /// <summary>One delta; with include_usage every chunk but the last carries <c>"usage": null</c>.</summary>
    public static string Chunk(string id, long created, string model, bool includeUsage, string? role, string? content, string? finishReason)
    {
        ChunkChoice[] choices = [new ChunkChoice(0, new ChunkDelta(role, content), null, finishReason)];
        return includeUsage
            ? Json.Text(new ChunkWithUsageObject(id, "chat.completion.chunk", created, model, null, choices, null), Context.ChunkWithUsageObject)
            : Json.Text(new ChunkObject(id, "chat.completion.chunk", created, model, null, choices), Context.ChunkObject);
    }

    /// <summary>stream_options.include_usage: the extra chunk before [DONE], with no choices.</summary>
    public static string UsageChunk(string id, long created, string model, GenerationOutcome outcome) =>
        Json.Text(new ChunkWithUsageObject(id, "chat.completion.chunk", created, model, null, [], Usage(outcome)), Context.ChunkWithUsageObject);

    private static UsageObject Usage(GenerationOutcome outcome) =>
        new(outcome.PromptTokens, outcome.CompletionTokens, outcome.PromptTokens + outcome.CompletionTokens);
}
