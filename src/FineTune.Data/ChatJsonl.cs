using System.Runtime.CompilerServices;
using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FineTune.Data;

/// <summary>
/// The normalized output form: one compact JSON object per line, <c>{"messages":[{"role":…,"content":…}]}</c>,
/// UTF-8 kept readable (only quotes, backslashes and control characters are escaped).
/// </summary>
public static class ChatJsonl
{
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = true,
    };

    /// <summary>One compact JSON line for <paramref name="example"/>, without a trailing newline.</summary>
    public static string ToJsonLine(ChatExample example)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteLine(example, buffer, newline: false);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes <paramref name="example"/> as one JSON line to <paramref name="output"/>, optionally followed by '\n'.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    public static void WriteLine(ChatExample example, IBufferWriter<byte> output, bool newline = true)
    {
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("messages"u8);
            foreach (var m in example.Messages)
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, m.Role);
                writer.WriteString("content"u8, m.Content);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        if (newline)
        {
            output.GetSpan(1)[0] = (byte)'\n';
            output.Advance(1);
        }
    }
}
