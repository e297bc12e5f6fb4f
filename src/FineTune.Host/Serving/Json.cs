using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FineTune.Host.Serving;

/// <summary>The wire JSON of the OpenAI-compatible endpoints: source-generated (<see cref="ServingJsonContext"/>), text left unescaped.</summary>
internal static class Json
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ReadOnlyMemory<byte> Bytes<T>(T value, JsonTypeInfo<T> type)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, Options))
            JsonSerializer.Serialize(w, value, type);
        return buffer.WrittenMemory;
    }

    public static string Text<T>(T value, JsonTypeInfo<T> type) => System.Text.Encoding.UTF8.GetString(Bytes(value, type).Span);
}
