using System.Text.Json;

namespace FineTune.Data;

/// <summary>
/// Writes chat examples as ShareGPT JSONL: <c>conversations</c> of {from: human|gpt, value}, and a
/// leading system message as the top-level <c>system</c> (LLaMA-Factory's default columns).
/// </summary>
public sealed class ShareGptWriter(Stream output) : BufferedExampleWriter(output)
{
    protected override void WriteObject(Utf8JsonWriter json, ChatExample example)
    {
        var messages = example.Messages;
        json.WriteStartObject();
        json.WriteStartArray("conversations"u8);
        foreach (var m in messages)
        {
            if (m.Role == ChatRoles.System && ReferenceEquals(m, messages[0])) continue;
            json.WriteStartObject();
            json.WriteString("from"u8, m.Role switch
            {
                ChatRoles.User => "human",
                ChatRoles.Assistant => "gpt",
                _ => m.Role,
            });
            json.WriteString("value"u8, m.Content);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (messages.Count > 0 && messages[0].Role == ChatRoles.System)
            json.WriteString("system"u8, messages[0].Content);
        json.WriteEndObject();
    }
}
