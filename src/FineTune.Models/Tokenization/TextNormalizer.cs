using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FineTune.Models.Tokenization;

/// <summary>
/// tokenizer.json's <c>normalizer</c>: a chain of string rewrites applied to each text section between added
/// tokens. Implemented: NFC (.NET's <see cref="string.Normalize(NormalizationForm)"/>, ICU), Prepend,
/// Replace (string or regex), Lowercase, Strip, Sequence; anything else is an error naming it.
/// </summary>
internal sealed class TextNormalizer
{
    private readonly Func<string, string>[] _steps;

    private TextNormalizer(Func<string, string>[] steps) => _steps = steps;

    public string Normalize(string text)
    {
        foreach (var step in _steps) text = step(text);
        return text;
    }

    /// <summary>null when the JSON is null (no normalization).</summary>
    public static TextNormalizer? FromJson(JsonElement json)
    {
        if (json.ValueKind == JsonValueKind.Null || json.ValueKind == JsonValueKind.Undefined) return null;
        var steps = new List<Func<string, string>>();
        Add(json, steps);
        return new TextNormalizer(steps.ToArray());
    }

    private static void Add(JsonElement json, List<Func<string, string>> steps)
    {
        var type = Json.Type(json, "normalizer");
        switch (type)
        {
            case "Sequence":
                foreach (var n in Json.Array(json, "normalizers", "normalizer")) Add(n, steps);
                break;
            case "NFC":
                steps.Add(static s => s.Normalize(NormalizationForm.FormC));
                break;
            case "Prepend":
                var prefix = Json.Str(json, "prepend", "normalizer");
                steps.Add(s => s.Length == 0 ? s : prefix + s);
                break;
            case "Replace":
                var (pattern, isRegex) = Json.Pattern(json, "normalizer");
                var content = Json.Str(json, "content", "normalizer");
                if (isRegex)
                {
                    var regex = new Regex(pattern, RegexOptions.CultureInvariant);
                    steps.Add(s => regex.Replace(s, content));
                }
                else steps.Add(s => s.Replace(pattern, content, StringComparison.Ordinal));
                break;
            case "Lowercase":
                steps.Add(s => s.ToLowerInvariant());
                break;
            case "Strip":
                bool left = json.TryGetProperty("strip_left", out var l) && l.GetBoolean();
                bool right = json.TryGetProperty("strip_right", out var r) && r.GetBoolean();
                steps.Add(s => left && right ? s.Trim() : left ? s.TrimStart() : right ? s.TrimEnd() : s);
                break;
            default:
                throw new TokenizerFormatException($"tokenizer.json: normalizer type '{type}' is not supported");
        }
    }
}
