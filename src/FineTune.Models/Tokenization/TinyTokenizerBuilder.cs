using System.Text;
using System.Text.Json;
using FineTune.Models.Chat;
using FineTune.Models.Checkpoints;

namespace FineTune.Models.Tokenization;

/// <summary>
/// Builds the 512-token byte-level BPE tokenizer of the tiny test models, deterministically: ids 0–255 are the
/// bytes (GPT-2 byte alphabet), then merges learned from <see cref="TinyTokenizerCorpus"/> (most frequent adjacent
/// pair first, ties to the smaller id pair), then the family's special tokens in the last ids. The files written
/// are a regular tokenizer.json + tokenizer_config.json with the family's real chat template (ChatML/Qwen2.5 for
/// qwen2, Llama 3 for llama), loadable by transformers as well as by <see cref="Tokenizer"/>.
/// </summary>
public static class TinyTokenizerBuilder
{
    public const int VocabSize = 512;

    public static IReadOnlyList<string> SpecialTokens(ModelFamily family) => family switch
    {
        ModelFamily.Qwen2 => ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        ModelFamily.Llama => ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    public static int SpecialTokenId(ModelFamily family, string token)
    {
        var specials = SpecialTokens(family);
        int index = specials.ToList().IndexOf(token);
        if (index < 0) throw new ArgumentException($"'{token}' is not a special token of the tiny {family} tokenizer", nameof(token));
        return VocabSize - specials.Count + index;
    }

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="directory"/>.</summary>
    public static void Write(ModelFamily family, string directory)
    {
        var (tokenizerJson, configJson) = Build(family);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, Tokenizer.FileName), tokenizerJson);
        File.WriteAllText(Path.Combine(directory, TokenizerConfig.FileName), configJson);
    }

    public static Tokenizer BuildTokenizer(ModelFamily family)
    {
        var (tokenizerJson, configJson) = Build(family);
        return Tokenizer.FromJson(tokenizerJson, configJson);
    }

    /// <summary>The two files' contents.</summary>
    public static (string TokenizerJson, string TokenizerConfigJson) Build(ModelFamily family)
    {
        var specials = SpecialTokens(family);
        var pattern = family == ModelFamily.Qwen2 ? CodePointSplitter.QwenPattern : CodePointSplitter.Llama3Pattern;
        var merges = LearnMerges(new CodePointSplitter(family == ModelFamily.Qwen2 ? 1 : 3), VocabSize - 256 - specials.Count);
        return (TokenizerJson(family, specials, pattern, merges), ConfigJson(family, specials));
    }

    // ---- training ----

    private static List<(int Left, int Right)> LearnMerges(CodePointSplitter splitter, int count)
    {
        var text = TinyTokenizerCorpus.Text.Replace("\r\n", "\n", StringComparison.Ordinal).Normalize(NormalizationForm.FormC);
        var spans = new List<(int Start, int Length)>();
        splitter.Split(text, spans);
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (start, length) in spans)
        {
            var w = text.Substring(start, length);
            wordCounts[w] = wordCounts.GetValueOrDefault(w) + 1;
        }
        var words = wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (Symbols: Encoding.UTF8.GetBytes(kv.Key).Select(b => (int)b).ToList(), Count: kv.Value))
            .ToList();
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ByteToChar[b].ToString()).ToList();
        var known = new HashSet<string>(tokens, StringComparer.Ordinal);
        var banned = new HashSet<(int, int)>();
        var merges = new List<(int, int)>();
        while (merges.Count < count)
        {
            var pairCounts = new Dictionary<(int, int), int>();
            foreach (var (symbols, n) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    var pair = (symbols[i], symbols[i + 1]);
                    if (!banned.Contains(pair)) pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + n;
                }
            if (pairCounts.Count == 0)
                throw new InvalidOperationException($"the tiny corpus yields only {merges.Count} merges, {count} are needed");
            var best = pairCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).First().Key;
            var merged = tokens[best.Item1] + tokens[best.Item2];
            if (!known.Add(merged)) { banned.Add(best); continue; } // same string reached by another path
            int id = tokens.Count;
            tokens.Add(merged);
            merges.Add(best);
            foreach (var (symbols, _) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    if (symbols[i] == best.Item1 && symbols[i + 1] == best.Item2)
                    {
                        symbols[i] = id;
                        symbols.RemoveAt(i + 1);
                    }
        }
        return merges;
    }

    // ---- files ----

    private static string TokenizerJson(ModelFamily family, IReadOnlyList<string> specials, string pattern, List<(int Left, int Right)> merges)
    {
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ByteToChar[b].ToString()).ToList();
        foreach (var (l, r) in merges) tokens.Add(tokens[l] + tokens[r]);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            for (int i = 0; i < specials.Count; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("id", VocabSize - specials.Count + i);
                w.WriteString("content", specials[i]);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (family == ModelFamily.Qwen2)
            {
                w.WriteStartObject("normalizer");
                w.WriteString("type", "NFC");
                w.WriteEndObject();
            }
            else w.WriteNull("normalizer");
            w.WriteStartObject("pre_tokenizer");
            w.WriteString("type", "Sequence");
            w.WriteStartArray("pretokenizers");
            w.WriteStartObject();
            w.WriteString("type", "Split");
            w.WriteStartObject("pattern");
            w.WriteString("Regex", pattern);
            w.WriteEndObject();
            w.WriteString("behavior", "Isolated");
            w.WriteBoolean("invert", false);
            w.WriteEndObject();
            WriteByteLevel(w, null);
            w.WriteEndArray();
            w.WriteEndObject();
            if (family == ModelFamily.Llama)
            {
                w.WriteStartObject("post_processor");
                w.WriteString("type", "Sequence");
                w.WriteStartArray("processors");
                WriteByteLevel(w, null);
                WriteBosTemplate(w, specials[0], VocabSize - specials.Count);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            else WriteByteLevel(w, "post_processor");
            WriteByteLevel(w, "decoder");
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteNull("unk_token");
            w.WriteNull("continuing_subword_prefix");
            w.WriteNull("end_of_word_suffix");
            w.WriteBoolean("fuse_unk", false);
            w.WriteBoolean("byte_fallback", false);
            w.WriteBoolean("ignore_merges", family == ModelFamily.Llama);
            w.WriteStartObject("vocab");
            for (int id = 0; id < tokens.Count; id++) w.WriteNumber(tokens[id], id);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var (l, r) in merges)
            {
                w.WriteStartArray();
                w.WriteStringValue(tokens[l]);
                w.WriteStringValue(tokens[r]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteByteLevel(Utf8JsonWriter w, string? name)
    {
        if (name is null) w.WriteStartObject(); else w.WriteStartObject(name);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", false);
        w.WriteBoolean("use_regex", false);
        w.WriteEndObject();
    }

    private static void WriteBosTemplate(Utf8JsonWriter w, string bos, int bosId)
    {
        w.WriteStartObject();
        w.WriteString("type", "TemplateProcessing");
        foreach (var (name, sequences) in new[] { ("single", new[] { "A" }), ("pair", new[] { "A", "B" }) })
        {
            w.WriteStartArray(name);
            foreach (var (seq, typeId) in sequences.Select((s, i) => (s, i)))
            {
                w.WriteStartObject();
                w.WriteStartObject("SpecialToken");
                w.WriteString("id", bos);
                w.WriteNumber("type_id", typeId);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteStartObject();
                w.WriteStartObject("Sequence");
                w.WriteString("id", seq);
                w.WriteNumber("type_id", typeId);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteStartObject("special_tokens");
        w.WriteStartObject(bos);
        w.WriteString("id", bos);
        w.WriteStartArray("ids");
        w.WriteNumberValue(bosId);
        w.WriteEndArray();
        w.WriteStartArray("tokens");
        w.WriteStringValue(bos);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string ConfigJson(ModelFamily family, IReadOnlyList<string> specials)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteBoolean("add_bos_token", family == ModelFamily.Llama);
            w.WriteBoolean("add_eos_token", false);
            w.WriteStartObject("added_tokens_decoder");
            for (int i = 0; i < specials.Count; i++)
            {
                w.WriteStartObject((VocabSize - specials.Count + i).ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteString("content", specials[i]);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            if (family == ModelFamily.Qwen2)
            {
                w.WriteNull("bos_token");
                w.WriteString("chat_template", ChatTemplateTexts.Qwen25);
                w.WriteBoolean("clean_up_tokenization_spaces", false);
                w.WriteString("eos_token", "<|im_end|>");
                w.WriteString("pad_token", "<|endoftext|>");
                w.WriteString("tokenizer_class", "Qwen2Tokenizer");
            }
            else
            {
                w.WriteString("bos_token", "<|begin_of_text|>");
                w.WriteString("chat_template", ChatTemplateTexts.Llama3);
                w.WriteBoolean("clean_up_tokenization_spaces", true);
                w.WriteString("eos_token", "<|eot_id|>");
                w.WriteString("pad_token", "<|end_of_text|>");
                w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            }
            w.WriteNumber("model_max_length", 512);
            w.WriteNull("unk_token");
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
