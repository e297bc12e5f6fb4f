using System.Text;
using System.Text.Json;

namespace FineTune.Models.Checkpoints;

/// <summary>
/// Reads and writes Hugging Face config.json for <c>model_type</c> llama and qwen2. Fields the engine does not need
/// (dropout, initializer_range, use_cache, …) are ignored; fields that would change the math in a way the engine
/// does not implement (sliding windows in use, unknown rope scaling, other activations, quantization) are errors.
/// </summary>
public static class ModelConfigJson
{
    public const string FileName = "config.json";

    /// <summary>Loads <c>config.json</c> from a model folder (or the file itself).</summary>
    public static ModelConfig Load(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file))
            throw new CheckpointFormatException($"no {FileName} at {file}");
        try
        {
            return Parse(File.ReadAllText(file));
        }
        catch (CheckpointFormatException e)
        {
            throw new CheckpointFormatException($"{file}: {e.Message}", e);
        }
    }

    public static ModelConfig Parse(string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new CheckpointFormatException($"config.json is not valid JSON: {e.Message}", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException("config.json: the top level must be an object");
            var modelType = String(root, "model_type")
                ?? throw new CheckpointFormatException("config.json: model_type is missing");
            var family = ModelFamilyNames.Parse(modelType);

            RejectUnsupported(root, family);
            var attentionBias = family == ModelFamily.Llama && Bool(root, "attention_bias", false);
            return new ModelConfig
            {
                Family = family,
                VocabSize = Int(root, "vocab_size") ?? Missing<int>("vocab_size"),
                HiddenSize = Int(root, "hidden_size") ?? Missing<int>("hidden_size"),
                NumHiddenLayers = Int(root, "num_hidden_layers") ?? Missing<int>("num_hidden_layers"),
                NumAttentionHeads = Int(root, "num_attention_heads") ?? Missing<int>("num_attention_heads"),
                NumKeyValueHeads = Int(root, "num_key_value_heads") ?? 0,
                HeadDim = Int(root, "head_dim") ?? 0,
                IntermediateSize = Int(root, "intermediate_size") ?? Missing<int>("intermediate_size"),
                RmsNormEps = Double(root, "rms_norm_eps") ?? 1e-6,
                RopeTheta = Double(root, "rope_theta") ?? 10000.0,
                RopeScaling = ReadRopeScaling(root),
                MaxPositionEmbeddings = Int(root, "max_position_embeddings") ?? (family == ModelFamily.Qwen2 ? 32768 : 2048),
                TieWordEmbeddings = Bool(root, "tie_word_embeddings", false),
                QkvBias = family == ModelFamily.Qwen2 || attentionBias,
                OutputProjBias = attentionBias,
                MlpBias = family == ModelFamily.Llama && Bool(root, "mlp_bias", false),
                BosTokenId = Int(root, "bos_token_id"),
                EosTokenIds = ReadEos(root),
                TorchDtype = String(root, "torch_dtype") ?? String(root, "dtype") ?? "float32",
            }.Validate();
        }
    }

    private static void RejectUnsupported(JsonElement root, ModelFamily family)
    {
        var act = String(root, "hidden_act");
        if (act is not null and not "silu")
            throw new CheckpointFormatException($"config.json: hidden_act '{act}' is not supported (only silu)");
        if (family == ModelFamily.Qwen2 && Bool(root, "use_sliding_window", false))
            throw new CheckpointFormatException(
                $"config.json: use_sliding_window is true (sliding_window {Int(root, "sliding_window")}); sliding-window attention is not supported");
        if (Int(root, "pretraining_tp") is int tp && tp != 1)
            throw new CheckpointFormatException($"config.json: pretraining_tp {tp} is not supported (only 1)");
        if (root.TryGetProperty("quantization_config", out var q) && q.ValueKind != JsonValueKind.Null)
            throw new CheckpointFormatException("config.json: quantization_config is present; quantized checkpoints are not supported");
    }

    private static Llama3RopeScaling? ReadRopeScaling(JsonElement root)
    {
        if (!root.TryGetProperty("rope_scaling", out var rs) || rs.ValueKind == JsonValueKind.Null)
            return null;
        if (rs.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException("config.json: rope_scaling must be an object or null");
        var type = String(rs, "rope_type") ?? String(rs, "type");
        if (type == "default")
            return null;
        if (type != Llama3RopeScaling.RopeType)
            throw new CheckpointFormatException(
                $"config.json: rope_scaling type '{type ?? "(none)"}' is not supported (only llama3)");
        return new Llama3RopeScaling(
            Double(rs, "factor") ?? Missing<double>("rope_scaling.factor"),
            Double(rs, "low_freq_factor") ?? Missing<double>("rope_scaling.low_freq_factor"),
            Double(rs, "high_freq_factor") ?? Missing<double>("rope_scaling.high_freq_factor"),
            Int(rs, "original_max_position_embeddings") ?? Missing<int>("rope_scaling.original_max_position_embeddings"));
    }

    private static int[] ReadEos(JsonElement root)
    {
        if (!root.TryGetProperty("eos_token_id", out var e) || e.ValueKind == JsonValueKind.Null)
            return [];
        if (e.ValueKind == JsonValueKind.Number)
            return [e.GetInt32()];
        if (e.ValueKind == JsonValueKind.Array)
            return e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number
                ? x.GetInt32()
                : throw new CheckpointFormatException("config.json: eos_token_id list must hold integers")).ToArray();
        throw new CheckpointFormatException("config.json: eos_token_id must be an integer, a list of integers or null");
    }

    // ---- writing ----

    public static void Save(ModelConfig config, string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, FileName), ToJson(config));
    }

    /// <summary>config.json as Hugging Face writes it for this family (loadable by transformers and vLLM).</summary>
    public static string ToJson(ModelConfig config)
    {
        config.Validate();
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("architectures");
            w.WriteStringValue(config.Family == ModelFamily.Llama ? "LlamaForCausalLM" : "Qwen2ForCausalLM");
            w.WriteEndArray();
            w.WriteString("model_type", config.ModelType);
            if (config.Family == ModelFamily.Llama)
            {
                w.WriteBoolean("attention_bias", config.QkvBias);
                w.WriteBoolean("mlp_bias", config.MlpBias);
            }
            w.WriteNumber("attention_dropout", 0.0);
            if (config.BosTokenId is int bos) w.WriteNumber("bos_token_id", bos); else w.WriteNull("bos_token_id");
            if (config.EosTokenIds.Count == 1) w.WriteNumber("eos_token_id", config.EosTokenIds[0]);
            else if (config.EosTokenIds.Count == 0) w.WriteNull("eos_token_id");
            else
            {
                w.WriteStartArray("eos_token_id");
                foreach (var id in config.EosTokenIds) w.WriteNumberValue(id);
                w.WriteEndArray();
            }
            w.WriteNumber("head_dim", config.HeadDim);
            w.WriteString("hidden_act", "silu");
            w.WriteNumber("hidden_size", config.HiddenSize);
            w.WriteNumber("initializer_range", 0.02);
            w.WriteNumber("intermediate_size", config.IntermediateSize);
            w.WriteNumber("max_position_embeddings", config.MaxPositionEmbeddings);
            w.WriteNumber("num_attention_heads", config.NumAttentionHeads);
            w.WriteNumber("num_hidden_layers", config.NumHiddenLayers);
            w.WriteNumber("num_key_value_heads", config.NumKeyValueHeads);
            w.WriteNumber("rms_norm_eps", config.RmsNormEps);
            if (config.RopeScaling is { } rs)
            {
                w.WriteStartObject("rope_scaling");
                w.WriteNumber("factor", rs.Factor);
                w.WriteNumber("high_freq_factor", rs.HighFreqFactor);
                w.WriteNumber("low_freq_factor", rs.LowFreqFactor);
                w.WriteNumber("original_max_position_embeddings", rs.OriginalMaxPositionEmbeddings);
                w.WriteString("rope_type", Llama3RopeScaling.RopeType);
                w.WriteEndObject();
            }
            else w.WriteNull("rope_scaling");
            w.WriteNumber("rope_theta", config.RopeTheta);
            if (config.Family == ModelFamily.Qwen2)
            {
                w.WriteNumber("sliding_window", config.MaxPositionEmbeddings);
                w.WriteBoolean("use_sliding_window", false);
            }
            w.WriteBoolean("tie_word_embeddings", config.TieWordEmbeddings);
            w.WriteString("torch_dtype", config.TorchDtype);
            w.WriteBoolean("use_cache", true);
            w.WriteNumber("vocab_size", config.VocabSize);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    // ---- JSON helpers: wrong types are errors naming the field ----

    private static T Missing<T>(string name) => throw new CheckpointFormatException($"config.json: {name} is missing");

    private static string? String(JsonElement o, string name) =>
        !o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : throw new CheckpointFormatException($"config.json: {name} must be a string, got {v.ValueKind}");

    private static int? Int(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)) return i;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue)
            return (int)d;
        throw new CheckpointFormatException($"config.json: {name} must be an integer, got {v.GetRawText()}");
    }

    private static double? Double(JsonElement o, string name) =>
        !o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.Number ? v.GetDouble()
        : throw new CheckpointFormatException($"config.json: {name} must be a number, got {v.GetRawText()}");

    private static bool Bool(JsonElement o, string name, bool fallback) =>
        !o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? fallback
        : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean()
        : throw new CheckpointFormatException($"config.json: {name} must be true or false, got {v.GetRawText()}");
}
