using System.Text.Json;
using System.Text.RegularExpressions;

namespace FineTune.Models.Tokenization;

/// <summary>
/// tokenizer.json's <c>pre_tokenizer</c>: cuts a normalized section into words that BPE encodes independently.
/// Supported: <c>Split</c> (behavior Isolated), <c>ByteLevel</c> (marks the model byte-level; with
/// <c>use_regex</c> it also applies GPT-2's split), their <c>Sequence</c>, and <c>Metaspace</c> (SentencePiece
/// style: spaces become '▁', one is prepended per <c>prepend_scheme</c>). null: the section is one word.
/// </summary>
internal sealed class PreTokenizer
{
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly IWordSplitter[] _splitters;
    private readonly string? _metaspace;
    private readonly string _metaspacePrependScheme = "always";
    private readonly bool _metaspaceSplit;

    public bool IsByteLevel { get; }

    /// <summary>What was recognized, for diagnostics ("Split(qwen pattern, code points) + ByteLevel").</summary>
    public string Description { get; }

    private PreTokenizer(IWordSplitter[] splitters, bool byteLevel, string description,
        string? metaspace = null, string scheme = "always", bool metaspaceSplit = false)
    {
        _splitters = splitters;
        IsByteLevel = byteLevel;
        Description = description;
        _metaspace = metaspace;
        _metaspacePrependScheme = scheme;
        _metaspaceSplit = metaspaceSplit;
    }

    public static PreTokenizer FromJson(JsonElement json)
    {
        if (json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            return new PreTokenizer([], false, "none");
        var parts = new List<JsonElement>();
        if (Json.Type(json, "pre_tokenizer") == "Sequence")
            parts.AddRange(Json.Array(json, "pretokenizers", "pre_tokenizer"));
        else
            parts.Add(json);

        if (parts.Count == 1 && Json.Type(parts[0], "pre_tokenizer") == "Metaspace")
        {
            var m = parts[0];
            var replacement = Json.OptStr(m, "replacement") ?? "\u2581";
            var scheme = Json.OptStr(m, "prepend_scheme") ?? (Json.Bool(m, "add_prefix_space", true) ? "always" : "never");
            if (scheme is not ("always" or "first" or "never"))
                throw new TokenizerFormatException($"tokenizer.json: Metaspace prepend_scheme '{scheme}' is not supported");
            bool split = Json.Bool(m, "split", true);
            return new PreTokenizer([], false, $"Metaspace(prepend {scheme}, split {split})", replacement, scheme, split);
        }

        var splitters = new List<IWordSplitter>();
        var names = new List<string>();
        bool byteLevel = false;
        foreach (var p in parts)
        {
            var type = Json.Type(p, "pre_tokenizer");
            switch (type)
            {
                case "Split":
                    var (pattern, isRegex) = Json.Pattern(p, "pre_tokenizer");
                    var behavior = Json.OptStr(p, "behavior") ?? "Isolated";
                    if (behavior != "Isolated" || Json.Bool(p, "invert", false))
                        throw new TokenizerFormatException(
                            $"tokenizer.json: Split pre-tokenizer with behavior '{behavior}'{(Json.Bool(p, "invert", false) ? " and invert" : "")} is not supported (only Isolated)");
                    var fast = isRegex ? CodePointSplitter.ForPattern(pattern) : null;
                    if (fast is not null)
                    {
                        splitters.Add(fast);
                        names.Add(pattern == CodePointSplitter.QwenPattern ? "Split(Qwen2 regex)" : "Split(Llama-3 regex)");
                    }
                    else
                    {
                        var regex = new Regex(isRegex ? pattern : Regex.Escape(pattern), RegexOptions.Compiled | RegexOptions.CultureInvariant);
                        splitters.Add(new RegexSplitter(regex));
                        names.Add($"Split(regex {pattern})");
                    }
                    break;
                case "ByteLevel":
                    if (Json.Bool(p, "add_prefix_space", false))
                        throw new TokenizerFormatException("tokenizer.json: ByteLevel pre-tokenizer with add_prefix_space true is not supported");
                    byteLevel = true;
                    if (Json.Bool(p, "use_regex", true))
                    {
                        splitters.Add(new RegexSplitter(new Regex(Gpt2Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant)));
                        names.Add("ByteLevel(GPT-2 regex)");
                    }
                    else names.Add("ByteLevel");
                    break;
                default:
                    throw new TokenizerFormatException($"tokenizer.json: pre_tokenizer type '{type}' is not supported");
            }
        }
        return new PreTokenizer(splitters.ToArray(), byteLevel, string.Join(" + ", names));
    }

    /// <summary>Splits <paramref name="section"/>; returns the text the word ranges index into.</summary>
    public string Apply(string section, bool firstSection, List<(int Start, int Length)> words)
    {
        words.Clear();
        if (_metaspace is not null)
        {
            var text = section.Replace(" ", _metaspace, StringComparison.Ordinal);
            bool prepend = _metaspacePrependScheme == "always" || (_metaspacePrependScheme == "first" && firstSection);
            if (prepend && !text.StartsWith(_metaspace, StringComparison.Ordinal)) text = _metaspace + text;
            if (!_metaspaceSplit) { words.Add((0, text.Length)); return text; }
            int start = 0;
            for (int i = 1; i <= text.Length; i++)
            {
                if (i == text.Length || string.CompareOrdinal(text, i, _metaspace, 0, _metaspace.Length) == 0)
                {
                    if (i > start) words.Add((start, i - start));
                    start = i;
                }
            }
            return text;
        }

        if (_splitters.Length == 0) { words.Add((0, section.Length)); return section; }
        _splitters[0].Split(section, words);
        for (int s = 1; s < _splitters.Length; s++)
        {
            var refined = new List<(int Start, int Length)>(words.Count);
            var sub = new List<(int Start, int Length)>();
            foreach (var (start, length) in words)
            {
                sub.Clear();
                _splitters[s].Split(section.AsSpan(start, length), sub);
                foreach (var (st, len) in sub) refined.Add((start + st, len));
            }
            words.Clear();
            words.AddRange(refined);
        }
        return section;
    }
}
