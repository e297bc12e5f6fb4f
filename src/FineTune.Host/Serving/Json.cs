using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FineTune.Host.Serving;

/// <summary>The wire JSON of the OpenAI-compatible endpoints, written field by field (nulls where OpenAI writes them).</summary>
internal static class Json
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ReadOnlyMemory<byte> Bytes(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, Options))
            write(w);
        return buffer.WrittenMemory;
    }
}
