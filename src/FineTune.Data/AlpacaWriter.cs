using System.Text.Json;

namespace FineTune.Data;

/// <summary>
/// Writes chat examples as Alpaca JSONL: a leading system message → <c>system</c>, the last
/// user/assistant pair → <c>instruction</c>/<c>output</c> (<c>input</c> empty), earlier pairs →
/// <c>history</c>. Reading it back gives the same chat example. Expects examples that pass <see cref="ChatRules"/>.
/// </summary>
public sealed class AlpacaWriter(Stream output) : BufferedExampleWriter(output)
{
    protected override void WriteObject(Utf8JsonWriter json, ChatExample example)
    {
        var messages = example.Messages;
        var first = messages.Count > 0 && messages[0].Role == ChatRoles.System ? 1 : 0;
        if (messages.Count - first < 2 || (messages.Count - first) % 2 != 0)
            throw new ArgumentException("an Alpaca record needs user/assistant pairs; validate the example first", nameof(example));

        json.WriteStartObject();
        json.WriteString("instruction"u8, messages[^2].Content);
        json.WriteString("input"u8, "");
        json.WriteString("output"u8, messages[^1].Content);
        if (first == 1) json.WriteString("system"u8, messages[0].Content);
        if (messages.Count - first > 2)
        {
            json.WriteStartArray("history"u8);
            for (var i = first; i < messages.Count - 2; i += 2)
            {
                json.WriteStartArray();
                json.WriteStringValue(messages[i].Content);
                json.WriteStringValue(messages[i + 1].Content);
                json.WriteEndArray();
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }
}
