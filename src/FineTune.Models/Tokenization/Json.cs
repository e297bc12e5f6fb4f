using System.Text.Json;

namespace FineTune.Models.Tokenization;

/// <summary>Small typed accessors for tokenizer.json that fail with the component and field named.</summary>
internal static class Json
{
    public static string Type(JsonElement o, string component) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()! : throw new TokenizerFormatException($"tokenizer.json: {component} has no type");

    public static string Str(JsonElement o, string name, string component) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new TokenizerFormatException($"tokenizer.json: {component} '{Type(o, component)}' needs a string '{name}'");

    public static string? OptStr(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static bool Bool(JsonElement o, string name, bool fallback) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : fallback;

    public static JsonElement.ArrayEnumerator Array(JsonElement o, string name, string component) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray()
            : throw new TokenizerFormatException($"tokenizer.json: {component} '{Type(o, component)}' needs an array '{name}'");

    public static JsonElement Prop(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) ? v : default;

    /// <summary>A <c>pattern</c> field: <c>{"String": "…"}</c> or <c>{"Regex": "…"}</c>.</summary>
    public static (string Pattern, bool IsRegex) Pattern(JsonElement o, string component)
    {
        if (o.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            if (p.TryGetProperty("String", out var s) && s.ValueKind == JsonValueKind.String) return (s.GetString()!, false);
            if (p.TryGetProperty("Regex", out var r) && r.ValueKind == JsonValueKind.String) return (r.GetString()!, true);
        }
        throw new TokenizerFormatException($"tokenizer.json: {component} '{Type(o, component)}' needs a pattern {{String|Regex}}");
    }
}
