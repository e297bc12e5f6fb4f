using System.Text.Json;

namespace FineTune.Models.Tokenization;

/// <summary>
/// The parts of tokenizer_config.json the pipeline uses: special token strings (each may be a plain string or
/// an AddedToken object with <c>content</c>), <c>chat_template</c> (a string, or a list of named templates of
/// which "default" is taken), <c>add_bos_token</c>/<c>add_eos_token</c>.
/// </summary>
public sealed record TokenizerConfig
{
    public const string FileName = "tokenizer_config.json";

    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? PadToken { get; init; }
    public string? UnkToken { get; init; }
    public string? ChatTemplate { get; init; }
    public bool? AddBosToken { get; init; }
    public bool? AddEosToken { get; init; }
    public string? TokenizerClass { get; init; }

    public static TokenizerConfig Empty { get; } = new();

    public static TokenizerConfig Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new TokenizerFormatException($"{FileName}: the top level must be an object");
        return new TokenizerConfig
        {
            BosToken = Token(root, "bos_token"),
            EosToken = Token(root, "eos_token"),
            PadToken = Token(root, "pad_token"),
            UnkToken = Token(root, "unk_token"),
            ChatTemplate = Template(root),
            AddBosToken = root.TryGetProperty("add_bos_token", out var b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False ? b.GetBoolean() : null,
            AddEosToken = root.TryGetProperty("add_eos_token", out var e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : null,
            TokenizerClass = Json.OptStr(root, "tokenizer_class"),
        };
    }

    private static string? Token(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object => Json.OptStr(v, "content"),
            JsonValueKind.Null => null,
            _ => throw new TokenizerFormatException($"{FileName}: {name} must be a string, an object with content, or null"),
        };
    }

    private static string? Template(JsonElement root)
    {
        if (!root.TryGetProperty("chat_template", out var t)) return null;
        if (t.ValueKind == JsonValueKind.String) return t.GetString();
        if (t.ValueKind == JsonValueKind.Array)
            foreach (var named in t.EnumerateArray())
                if (Json.OptStr(named, "name") == "default")
                    return Json.OptStr(named, "template");
        return null;
    }
}
