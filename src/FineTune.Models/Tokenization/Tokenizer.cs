using System.Text;
using System.Text.Json;

namespace FineTune.Models.Tokenization;

/// <summary>
/// A Hugging Face fast tokenizer (tokenizer.json, BPE) with its tokenizer_config.json. Encoding runs the
/// reference pipeline: added tokens are cut out of the raw text first, each remaining section is normalized,
/// pre-tokenized into words, and each word is BPE-encoded (cached). Handles the byte-level family (Qwen2/2.5/3,
/// Llama 3, GPT-2) and the SentencePiece-style family (Llama 2, TinyLlama). Thread-safe.
/// </summary>
public sealed class Tokenizer
{
    public const string FileName = "tokenizer.json";

    private readonly BpeModel _model;
    private readonly TextNormalizer? _normalizer;
    private readonly PreTokenizer _preTokenizer;
    private readonly AddedTokenMatcher _addedMatcher;
    private readonly TokenDecoder _decoder;
    private readonly string?[] _idToToken;
    private readonly bool[] _special;
    private readonly Dictionary<string, int> _addedByContent;
    private readonly int[] _prefix;
    private readonly int[] _suffix;

    public TokenizerConfig Config { get; }
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Highest id + 1 over the model vocabulary and the added tokens.</summary>
    public int VocabSize => _idToToken.Length;

    public string? BosToken => Config.BosToken;
    public string? EosToken => Config.EosToken;
    public int? BosTokenId => Config.BosToken is { } t ? TokenToId(t) : null;
    public int? EosTokenId => Config.EosToken is { } t ? TokenToId(t) : null;
    public int? PadTokenId => Config.PadToken is { } t ? TokenToId(t) : null;

    /// <summary>One line saying what was recognized, e.g. "NFC | Split(Qwen2 regex) + ByteLevel | BPE 151387 merges | ByteLevel".</summary>
    public string Description { get; }

    private Tokenizer(JsonElement root, TokenizerConfig config)
    {
        Config = config;
        _normalizer = TextNormalizer.FromJson(Json.Prop(root, "normalizer"));
        _preTokenizer = PreTokenizer.FromJson(Json.Prop(root, "pre_tokenizer"));
        _model = BpeModel.FromJson(Json.Prop(root, "model"), _preTokenizer.IsByteLevel);

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var addedJson) && addedJson.ValueKind == JsonValueKind.Array)
            foreach (var a in addedJson.EnumerateArray())
                added.Add(new AddedToken(
                    Json.Prop(a, "id").GetInt32(),
                    Json.OptStr(a, "content") ?? throw new TokenizerFormatException("tokenizer.json: an added token has no content"),
                    Json.Bool(a, "special", false), Json.Bool(a, "lstrip", false), Json.Bool(a, "rstrip", false),
                    Json.Bool(a, "single_word", false), Json.Bool(a, "normalized", false)));
        AddedTokens = added;
        _addedByContent = added.GroupBy(a => a.Content).ToDictionary(g => g.Key, g => g.Last().Id, StringComparer.Ordinal);
        _addedMatcher = new AddedTokenMatcher(added);

        int size = Math.Max(_model.Vocab.Count == 0 ? 0 : _model.Vocab.Values.Max() + 1, added.Count == 0 ? 0 : added.Max(a => a.Id) + 1);
        _idToToken = new string?[size];
        foreach (var (token, id) in _model.Vocab) _idToToken[id] = token;
        _special = new bool[size];
        var addedById = new Dictionary<int, AddedToken>();
        foreach (var a in added)
        {
            _idToToken[a.Id] = a.Content;
            _special[a.Id] = a.Special;
            addedById[a.Id] = a;
        }
        _decoder = TokenDecoder.FromJson(Json.Prop(root, "decoder"), _idToToken, addedById);
        (_prefix, _suffix) = ReadPostProcessor(Json.Prop(root, "post_processor"));
        Description = $"{(_normalizer is null ? "no normalizer" : "normalizer")} | {_preTokenizer.Description} | " +
                      $"BPE {_model.MergeCount} merges{(_model.ByteFallback ? ", byte fallback" : "")} | {_decoder.Description}";
    }

    /// <summary>Loads tokenizer.json (required) and tokenizer_config.json (optional) from a model folder.</summary>
    public static Tokenizer Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new TokenizerFormatException($"no {FileName} in {directory}");
        var configPath = Path.Combine(directory, TokenizerConfig.FileName);
        try
        {
            return FromJson(File.ReadAllBytes(path), File.Exists(configPath) ? File.ReadAllText(configPath) : null);
        }
        catch (TokenizerFormatException e)
        {
            throw new TokenizerFormatException($"{directory}: {e.Message}", e);
        }
    }

    public static Tokenizer FromJson(string tokenizerJson, string? tokenizerConfigJson = null) =>
        FromJson(Encoding.UTF8.GetBytes(tokenizerJson), tokenizerConfigJson);

    public static Tokenizer FromJson(byte[] tokenizerJson, string? tokenizerConfigJson = null)
    {
        var config = tokenizerConfigJson is null ? TokenizerConfig.Empty : TokenizerConfig.Parse(tokenizerConfigJson);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(tokenizerJson); }
        catch (JsonException e) { throw new TokenizerFormatException($"{FileName} is not valid JSON: {e.Message}", e); }
        using (doc) return new Tokenizer(doc.RootElement, config);
    }

    // ---- encoding ----

    /// <summary>
    /// Token ids of <paramref name="text"/>. Added/special token strings in the text become their ids.
    /// <paramref name="addSpecialTokens"/> applies the post-processor template (e.g. Llama's BOS).
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        var output = new List<int>(text.Length / 3 + 4);
        Encode(text, output, addSpecialTokens);
        return output.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="output"/>.</summary>
    public void Encode(string text, List<int> output, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (addSpecialTokens) output.AddRange(_prefix);
        var segments = new List<AddedTokenMatcher.Segment>();
        _addedMatcher.Split(text, segments);
        var words = new List<(int Start, int Length)>();
        foreach (var segment in segments)
        {
            if (segment.Token is { } token) { output.Add(token.Id); continue; }
            if (segment.Length == 0) continue;
            var section = segment.Length == text.Length ? text : text.Substring(segment.Start, segment.Length);
            EncodeSection(section, segment.Start == 0, output, words);
        }
        if (addSpecialTokens) output.AddRange(_suffix);
    }

    private void EncodeSection(string section, bool first, List<int> output, List<(int Start, int Length)> words)
    {
        if (_normalizer is not null) section = _normalizer.Normalize(section);
        if (section.Length == 0) return;
        var text = _preTokenizer.Apply(section, first, words);
        foreach (var (start, length) in words)
            _model.EncodeWord(text.AsSpan(start, length), output);
    }

    // ---- decoding ----

    public string Decode(IEnumerable<int> ids, bool skipSpecial = false)
    {
        var bytes = new List<byte>();
        int strip = _decoder.StripLeadingSpaces;
        foreach (var id in ids)
        {
            if (skipSpecial && IsSpecial(id)) continue;
            var b = TokenBytes(id);
            while (strip > 0 && b.Length > 0)
            {
                if (b[0] != (byte)' ') { strip = 0; break; }
                b = b[1..];
                strip--;
            }
            foreach (var x in b) bytes.Add(x);
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    public StreamingDecoder CreateStreamingDecoder(bool skipSpecial = false) =>
        new(this, skipSpecial, _decoder.StripLeadingSpaces);

    internal ReadOnlySpan<byte> TokenBytes(int id)
    {
        if ((uint)id >= (uint)_idToToken.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary (size {VocabSize})");
        return _decoder.BytesOf(id);
    }

    // ---- lookups ----

    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out var a) ? a : _model.Vocab.TryGetValue(token, out var id) ? id : null;

    /// <summary>The id of a token that must exist (for special tokens a template needs).</summary>
    public int RequireTokenId(string token) => TokenToId(token)
        ?? throw new TokenizerFormatException($"the tokenizer has no token '{token}'");

    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    public bool IsSpecial(int id) => (uint)id < (uint)_special.Length && _special[id];

    // ---- post-processor ----

    private (int[] Prefix, int[] Suffix) ReadPostProcessor(JsonElement json)
    {
        if (json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return ([], []);
        var type = Json.Type(json, "post_processor");
        switch (type)
        {
            case "ByteLevel":
                return ([], []);
            case "Sequence":
                int[] prefix = [], suffix = [];
                foreach (var p in Json.Array(json, "processors", "post_processor"))
                {
                    var (pre, suf) = ReadPostProcessor(p);
                    if (pre.Length + suf.Length > 0) (prefix, suffix) = (pre, suf);
                }
                return (prefix, suffix);
            case "TemplateProcessing":
                var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
                if (json.TryGetProperty("special_tokens", out var st) && st.ValueKind == JsonValueKind.Object)
                    foreach (var s in st.EnumerateObject())
                        specials[s.Name] = Json.Array(s.Value, "ids", "special token").Select(x => x.GetInt32()).ToArray();
                var before = new List<int>();
                var after = new List<int>();
                bool seenSequence = false;
                foreach (var item in Json.Array(json, "single", "post_processor"))
                {
                    if (item.TryGetProperty("Sequence", out _)) { seenSequence = true; continue; }
                    if (!item.TryGetProperty("SpecialToken", out var sp))
                        throw new TokenizerFormatException("tokenizer.json: TemplateProcessing item is neither Sequence nor SpecialToken");
                    var name = Json.OptStr(sp, "id") ?? "";
                    var ids = specials.TryGetValue(name, out var found) ? found
                        : TokenToId(name) is int one ? [one]
                        : throw new TokenizerFormatException($"tokenizer.json: TemplateProcessing names unknown special token '{name}'");
                    (seenSequence ? after : before).AddRange(ids);
                }
                return (before.ToArray(), after.ToArray());
            default:
                throw new TokenizerFormatException($"tokenizer.json: post_processor type '{type}' is not supported");
        }
    }
}
