using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace FineTune.Host.Serving;

/// <summary>
/// A <c>POST /v1/chat/completions</c> body as sent, typed field by field; unknown fields are ignored as OpenAI does.
/// <see cref="ChatRequestParser"/> checks the values and builds a <see cref="ChatCompletionRequest"/>.
/// </summary>
internal sealed class ChatCompletionBody
{
    public string? Model { get; init; }
    public List<ChatMessageBody?>? Messages { get; init; }
    public int? N { get; init; }
    public bool? Logprobs { get; init; }
    /// <summary>Only its length matters: any tool is refused.</summary>
    public JsonArray? Tools { get; init; }
    public ResponseFormatBody? ResponseFormat { get; init; }
    public bool? Stream { get; init; }
    public StreamOptionsBody? StreamOptions { get; init; }
    public int? MaxCompletionTokens { get; init; }
    public int? MaxTokens { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public long? Seed { get; init; }
    public double? FrequencyPenalty { get; init; }
    public double? PresencePenalty { get; init; }
    /// <summary>Token id (a string, as JSON object keys are) → bias; the keys are checked by the parser.</summary>
    public Dictionary<string, double>? LogitBias { get; init; }
    [JsonConverter(typeof(StopConverter))]
    public string[]? Stop { get; init; }
}

internal sealed class ChatMessageBody
{
    public string? Role { get; init; }
    [JsonConverter(typeof(MessageContentConverter))]
    public MessageContent? Content { get; init; }
}

internal sealed class ResponseFormatBody
{
    public string? Type { get; init; }
}

internal sealed class StreamOptionsBody
{
    public bool? IncludeUsage { get; init; }
}

/// <summary>A message's content: a string, or parts (an entry is null where it was not an object).</summary>
internal sealed record MessageContent(string? Text, IReadOnlyList<ContentPart?>? Parts);

/// <summary>One content part; Type or Text is null where it was absent or not a string.</summary>
internal sealed record ContentPart(string? Type, string? Text);

/// <summary>Reads content as a string or an array of parts; any other kind is a type error at that path.</summary>
internal sealed class MessageContentConverter : JsonConverter<MessageContent>
{
    public override MessageContent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return new MessageContent(reader.GetString(), null);
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException();
        var parts = new List<ContentPart?>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                parts.Add(null);
                continue;
            }
            string? type = null, text = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && name == "type") type = reader.GetString();
                else if (reader.TokenType == JsonTokenType.String && name == "text") text = reader.GetString();
                else reader.Skip();
            }
            parts.Add(new ContentPart(type, text));
        }
        return new MessageContent(null, parts);
    }

    public override void Write(Utf8JsonWriter writer, MessageContent value, JsonSerializerOptions options) =>
        throw new NotSupportedException("message content is only read");
}

/// <summary>Reads stop as a string or an array of strings; anything else is a type error at <c>stop</c>.</summary>
internal sealed class StopConverter : JsonConverter<string[]>
{
    public override string[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return [reader.GetString()!];
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException();
        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            list.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException());
        return [.. list];
    }

    public override void Write(Utf8JsonWriter writer, string[] value, JsonSerializerOptions options) =>
        throw new NotSupportedException("stop is only read");
}
