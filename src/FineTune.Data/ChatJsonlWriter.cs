using System.Text.Json;

namespace FineTune.Data;

/// <summary>Writes examples as normalized chat JSONL (<see cref="ChatJsonl"/>).</summary>
public sealed class ChatJsonlWriter(Stream output) : BufferedExampleWriter(output)
{
    protected override void WriteObject(Utf8JsonWriter json, ChatExample example) => ChatJsonl.WriteObject(json, example);
}
