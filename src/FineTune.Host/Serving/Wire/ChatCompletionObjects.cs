using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace FineTune.Host.Serving;

// The response objects of the OpenAI-compatible API, field for field as OpenAI writes them (nulls included;
// JsonNode? members are the ones OpenAI always sends as null here).

/// <summary>A <c>chat.completion</c>.</summary>
internal sealed record ChatCompletionObject(string Id, string Object, long Created, string Model, JsonNode? SystemFingerprint,
    IReadOnlyList<CompletionChoice> Choices, UsageObject Usage);

internal sealed record CompletionChoice(int Index, AssistantMessage Message, JsonNode? Logprobs, string FinishReason);

internal sealed record AssistantMessage(string Role, string Content, JsonNode? Refusal);

/// <summary>A <c>chat.completion.chunk</c> without a usage field (the stream did not ask for usage).</summary>
internal sealed record ChunkObject(string Id, string Object, long Created, string Model, JsonNode? SystemFingerprint,
    IReadOnlyList<ChunkChoice> Choices);

/// <summary>A chunk of a stream with stream_options.include_usage: usage is null on every chunk but the last.</summary>
internal sealed record ChunkWithUsageObject(string Id, string Object, long Created, string Model, JsonNode? SystemFingerprint,
    IReadOnlyList<ChunkChoice> Choices, UsageObject? Usage);

internal sealed record ChunkChoice(int Index, ChunkDelta Delta, JsonNode? Logprobs, string? FinishReason);

internal sealed record ChunkDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content);

internal sealed record UsageObject(int PromptTokens, int CompletionTokens, int TotalTokens);

/// <summary>GET /v1/models.</summary>
internal sealed record ModelListObject(string Object, IReadOnlyList<ModelObject> Data);

internal sealed record ModelObject(string Id, string Object, long Created, string OwnedBy,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Parent);

/// <summary><c>{"error": {"message", "type", "param", "code"}}</c>; param and code are null when none.</summary>
internal sealed record ErrorResponseObject(ErrorObject Error);

internal sealed record ErrorObject(string Message, string Type, string? Param, string? Code);
