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

    /// <summary>Reads the next value; returns it when it is a string, else skips it and returns null with its kind.</summary>
    public static string? ReadString(ref Utf8JsonReader reader, out JsonTokenType type)
    {
        reader.Read();
        type = reader.TokenType;
        if (type == JsonTokenType.String) return reader.GetString();
        reader.Skip();
        return null;
    }

    /// <summary>Reads the next value and skips it (objects and arrays whole).</summary>
    public static void SkipValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
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
