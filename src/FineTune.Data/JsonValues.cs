using System.Runtime.CompilerServices;
using System.Text.Json;

namespace FineTune.Data;

/// <summary>Small helpers over <see cref="Utf8JsonReader"/> shared by the record parsers.</summary>
internal static class JsonValues
{
    public static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = 64,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    public static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => type.ToString(),
    };

    private const int MaxCachedChars = 1 << 20;
    [ThreadStatic] private static char[]? t_chars;

    /// <summary>Reads the next value; returns it when it is a string, else skips it and returns null with its kind.</summary>
    public static string? ReadString(ref Utf8JsonReader reader, out JsonTokenType type)
    {
        reader.Read();
        type = reader.TokenType;
        if (type == JsonTokenType.String) return GetString(ref reader);
        reader.Skip();
        return null;
    }

    /// <summary>
    /// The string token under the reader. Same result as <see cref="Utf8JsonReader.GetString"/>, one pass
    /// fewer: it unescapes and transcodes into a reused buffer (validating UTF-8) instead of counting first.
    /// Throws <see cref="InvalidOperationException"/> on invalid UTF-8 or a lone surrogate escape.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    public static string GetString(ref Utf8JsonReader reader)
    {
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (length == 0) return "";
        if (length > MaxCachedChars) return reader.GetString()!;   // do not keep a huge buffer alive
        var chars = t_chars;
        if (chars is null || chars.Length < length)
            t_chars = chars = new char[Math.Max(length, Math.Min(2 * (chars?.Length ?? 2048), MaxCachedChars))];
        var written = reader.CopyString(chars);
        return new string(chars, 0, written);
    }

    /// <summary>
    /// Reads the next value and skips it (objects and arrays whole). Skipped bytes are never transcoded,
    /// so their UTF-8 is checked here: every byte of a record is then either transcoded (which validates),
    /// JSON syntax (which the reader checks), or checked here.
    /// </summary>
    public static void SkipValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        reader.Read();
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        var end = (int)reader.BytesConsumed;
        if (end > start && end <= json.Length && !System.Text.Unicode.Utf8.IsValid(json[start..end]))
            throw new InvalidOperationException("invalid UTF-8 in a skipped value");
    }

    /// <summary>Notes a property name; true when it was already seen (a duplicate key).</summary>
    public static bool SeenBefore(ref List<string>? seen, string name)
    {
        seen ??= new List<string>(4);
        if (seen.Contains(name)) return true;
        seen.Add(name);
        return false;
    }
}
