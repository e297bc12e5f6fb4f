using System.Text;
using System.Text.Json;

namespace FineTune.Models.Tokenization;

/// <summary>
/// tokenizer.json's <c>decoder</c>, reduced to what it does per token: every id maps to a fixed byte string
/// (byte-level: chars back to bytes; SentencePiece: '▁' → space, <c>&lt;0xXX&gt;</c> → that byte; added tokens:
/// their UTF-8 content), and up to <see cref="StripLeadingSpaces"/> spaces are cut from the start of the output.
/// Decoding is then concatenation + UTF-8 with U+FFFD for invalid sequences, which also makes streaming exact.
/// Supported: ByteLevel; Metaspace; Sequence of Replace/ByteFallback/Fuse/Strip (Llama 2, TinyLlama).
/// </summary>
internal sealed class TokenDecoder
{
    private readonly byte[] _bytes;
    private readonly int[] _offsets;

    public int StripLeadingSpaces { get; }
    public string Description { get; }

    private TokenDecoder(byte[] bytes, int[] offsets, int strip, string description)
    {
        _bytes = bytes;
        _offsets = offsets;
        StripLeadingSpaces = strip;
        Description = description;
    }

    public int Count => _offsets.Length - 1;

    public ReadOnlySpan<byte> BytesOf(int id) => _bytes.AsSpan(_offsets[id], _offsets[id + 1] - _offsets[id]);

    public static TokenDecoder FromJson(JsonElement json, string?[] idToToken, IReadOnlyDictionary<int, AddedToken> added)
    {
        if (json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            throw new TokenizerFormatException("tokenizer.json: decoder is null; decoding needs one (ByteLevel, Metaspace or a Sequence)");
        bool byteLevel = false, byteFallback = false;
        string? replacement = null;
        int strip = 0;
        var type = Json.Type(json, "decoder");
        var parts = type == "Sequence" ? Json.Array(json, "decoders", "decoder").ToList() : [json];
        foreach (var p in parts)
        {
            var t = Json.Type(p, "decoder");
            switch (t)
            {
                case "ByteLevel":
                    byteLevel = true;
                    break;
                case "Metaspace":
                    replacement = Json.OptStr(p, "replacement") ?? "\u2581";
                    var scheme = Json.OptStr(p, "prepend_scheme") ?? (Json.Bool(p, "add_prefix_space", true) ? "always" : "never");
                    if (scheme != "never") strip = 1;
                    break;
                case "Replace":
                    var (pattern, isRegex) = Json.Pattern(p, "decoder");
                    if (isRegex || Json.Str(p, "content", "decoder") != " ")
                        throw new TokenizerFormatException($"tokenizer.json: decoder Replace '{pattern}' → '{Json.Str(p, "content", "decoder")}' is not supported (only '▁' → ' ')");
                    replacement = pattern;
                    break;
                case "ByteFallback":
                    byteFallback = true;
                    break;
                case "Fuse":
                    break;
                case "Strip":
                    if (Json.Str(p, "content", "decoder") != " " || Json.Prop(p, "stop").GetInt32() != 0)
                        throw new TokenizerFormatException("tokenizer.json: decoder Strip is supported only for leading spaces");
                    strip = Json.Prop(p, "start").GetInt32();
                    break;
                default:
                    throw new TokenizerFormatException($"tokenizer.json: decoder type '{t}' is not supported");
            }
        }
        if (byteLevel && (replacement is not null || byteFallback))
            throw new TokenizerFormatException("tokenizer.json: a decoder mixing ByteLevel with Metaspace/ByteFallback is not supported");

        var buffer = new List<byte>(idToToken.Length * 6);
        var offsets = new int[idToToken.Length + 1];
        Span<byte> scratch = stackalloc byte[4];
        for (int id = 0; id < idToToken.Length; id++)
        {
            offsets[id] = buffer.Count;
            var token = idToToken[id];
            if (token is null) continue;
            if (added.ContainsKey(id))
                buffer.AddRange(Encoding.UTF8.GetBytes(token));
            else if (byteLevel)
                AppendByteLevel(token, buffer);
            else if (byteFallback && token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
                     && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out var b))
                buffer.Add(b);
            else
                buffer.AddRange(Encoding.UTF8.GetBytes(replacement is null ? token : token.Replace(replacement, " ", StringComparison.Ordinal)));
        }
        offsets[^1] = buffer.Count;
        var description = byteLevel ? "ByteLevel" : $"SentencePiece('{replacement}' → ' '{(byteFallback ? ", byte fallback" : "")}, strip {strip})";
        return new TokenDecoder(buffer.ToArray(), offsets, strip, description);
    }

    private static void AppendByteLevel(string token, List<byte> buffer)
    {
        foreach (var c in token)
            if (ByteLevelAlphabet.ToByte(c) < 0)
            {
                buffer.AddRange(Encoding.UTF8.GetBytes(token)); // as the reference: a token with a foreign char stays raw
                return;
            }
        foreach (var c in token) buffer.Add((byte)ByteLevelAlphabet.ToByte(c));
    }
}
