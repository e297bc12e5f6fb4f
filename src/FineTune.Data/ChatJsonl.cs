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
    public static void WriteLine(ChatExample example, IBufferWriter<byte> output, bool newline = true)
    {
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
            WriteObject(writer, example);
        if (newline)
        {
            output.GetSpan(1)[0] = (byte)'\n';
            output.Advance(1);
        }
    }

    /// <summary>Writes the <c>{"messages":[…]}</c> object.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    public static void WriteObject(Utf8JsonWriter writer, ChatExample example)
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

    /// <summary>
    /// Parses one normalized chat line (as written by <see cref="ToJsonLine"/>). Throws
    /// <see cref="InvalidDataException"/> naming the first problem when the line is not a valid chat example.
    /// </summary>
    public static ChatExample Parse(string line, long lineNumber = 1)
    {
        var problems = new List<Problem>();
        ParsedRecord? parsed;
        try
        {
            parsed = ChatRecordParser.Parse(Encoding.UTF8.GetBytes(line), lineNumber, problems);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"line {lineNumber}: invalid_json: {ex.Message}", ex);
        }
        if (parsed is { } p) ChatRules.Check(p.Example, lineNumber, p.Path, problems);
        var error = problems.Find(static x => x.Severity == Severity.Error);
        if (error is not null || parsed is null)
        {
            error ??= problems.FirstOrDefault();
            throw new InvalidDataException($"line {lineNumber}: {error?.Code}: {error?.Path} {error?.Message}");
        }
        return parsed.Value.Example;
    }

    /// <summary>
    /// Reads a normalized chat JSONL stream (the output of validation or conversion), skipping blank
    /// lines. Throws <see cref="InvalidDataException"/> on the first invalid line: validate untrusted files first.
    /// </summary>
    public static async IAsyncEnumerable<ChatExample> ReadAsync(Stream input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(input, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        long number = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line)) yield return Parse(line, number);
        }
    }
}
