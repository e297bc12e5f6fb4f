using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

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
        var file = Read(json);
        var modelType = file.ModelType ?? throw new CheckpointFormatException("config.json: model_type is missing");
        var family = ModelFamilyNames.Parse(modelType);

        RejectUnsupported(file, family);
        var attentionBias = family == ModelFamily.Llama && (file.AttentionBias ?? false);
        return new ModelConfig
        {
            Family = family,
            VocabSize = file.VocabSize ?? Missing<int>("vocab_size"),
            HiddenSize = file.HiddenSize ?? Missing<int>("hidden_size"),
            NumHiddenLayers = file.NumHiddenLayers ?? Missing<int>("num_hidden_layers"),
            NumAttentionHeads = file.NumAttentionHeads ?? Missing<int>("num_attention_heads"),
            NumKeyValueHeads = file.NumKeyValueHeads ?? 0,
            HeadDim = file.HeadDim ?? 0,
            IntermediateSize = file.IntermediateSize ?? Missing<int>("intermediate_size"),
            RmsNormEps = file.RmsNormEps ?? 1e-6,
            RopeTheta = file.RopeTheta ?? 10000.0,
            RopeScaling = ReadRopeScaling(file.RopeScaling),
            MaxPositionEmbeddings = file.MaxPositionEmbeddings ?? (family == ModelFamily.Qwen2 ? 32768 : 2048),
            TieWordEmbeddings = file.TieWordEmbeddings ?? false,
            QkvBias = family == ModelFamily.Qwen2 || attentionBias,
            OutputProjBias = attentionBias,
            MlpBias = family == ModelFamily.Llama && (file.MlpBias ?? false),
            BosTokenId = file.BosTokenId,
            EosTokenIds = file.EosTokenId ?? [],
            TorchDtype = file.TorchDtype ?? file.Dtype ?? "float32",
        }.Validate();
    }

    /// <summary>
    /// The source-generated read: malformed JSON is one error; a field of the wrong type is an error naming the
    /// field and what it must be.
    /// </summary>
    private static HfConfigFile Read(string json)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);
        try
        {
            var reader = new Utf8JsonReader(utf8);
            while (reader.Read()) { }
        }
        catch (JsonException e) { throw new CheckpointFormatException($"config.json is not valid JSON: {e.Message}", e); }
        try
        {
            return JsonSerializer.Deserialize(utf8, HfConfigJsonContext.Default.HfConfigFile)
                ?? throw new CheckpointFormatException("config.json: the top level must be an object");
        }
        catch (JsonException e) when (e.Path is { Length: > 2 } path)
        {
            var field = path[2..];
            throw new CheckpointFormatException($"config.json: {field} must be {Expected(field)}", e);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException("config.json: the top level must be an object", e);
        }
    }

    /// <summary>What a field must be, from the type it is read into (<c>rope_scaling.factor</c>: a number).</summary>
    private static string Expected(string path)
    {
        JsonTypeInfo type = HfConfigJsonContext.Default.HfConfigFile;
        foreach (var name in path.Split('.'))
        {
            if (type.Properties.FirstOrDefault(p => p.Name == name) is not { } property) return "of another type";
            type = HfConfigJsonContext.Default.GetTypeInfo(property.PropertyType)!;
        }
        var t = Nullable.GetUnderlyingType(type.Type) ?? type.Type;
        return t == typeof(int) ? "an integer"
            : t == typeof(double) ? "a number"
            : t == typeof(bool) ? "true or false"
            : t == typeof(string) ? "a string"
            : t == typeof(int[]) ? "an integer, a list of integers or null"
            : t == typeof(List<string>) ? "a list of strings"
            : "an object or null";
    }

    private static void RejectUnsupported(HfConfigFile file, ModelFamily family)
    {
        var act = file.HiddenAct;
        if (act is not null and not "silu")
            throw new CheckpointFormatException($"config.json: hidden_act '{act}' is not supported (only silu)");
        if (family == ModelFamily.Qwen2 && file.UseSlidingWindow == true)
            throw new CheckpointFormatException(
                $"config.json: use_sliding_window is true (sliding_window {file.SlidingWindow}); sliding-window attention is not supported");
        if (file.PretrainingTp is int tp && tp != 1)
            throw new CheckpointFormatException($"config.json: pretraining_tp {tp} is not supported (only 1)");
        if (file.QuantizationConfig is not null)
            throw new CheckpointFormatException("config.json: quantization_config is present; quantized checkpoints are not supported");
    }

    private static Llama3RopeScaling? ReadRopeScaling(HfRopeScaling? rs)
    {
        if (rs is null) return null;
        var type = rs.RopeType ?? rs.Type;
        if (type == "default")
            return null;
        if (type != Llama3RopeScaling.RopeType)
            throw new CheckpointFormatException(
                $"config.json: rope_scaling type '{type ?? "(none)"}' is not supported (only llama3)");
        return new Llama3RopeScaling(
            rs.Factor ?? Missing<double>("rope_scaling.factor"),
            rs.LowFreqFactor ?? Missing<double>("rope_scaling.low_freq_factor"),
            rs.HighFreqFactor ?? Missing<double>("rope_scaling.high_freq_factor"),
            rs.OriginalMaxPositionEmbeddings ?? Missing<int>("rope_scaling.original_max_position_embeddings"));
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
        var llama = config.Family == ModelFamily.Llama;
        var file = new HfConfigFile
        {
            Architectures = [llama ? "LlamaForCausalLM" : "Qwen2ForCausalLM"],
            ModelType = config.ModelType,
            AttentionBias = llama ? config.QkvBias : null,
            MlpBias = llama ? config.MlpBias : null,
            AttentionDropout = 0.0,
            BosTokenId = config.BosTokenId,
            EosTokenId = config.EosTokenIds.Count == 0 ? null : [.. config.EosTokenIds],
            HeadDim = config.HeadDim,
            HiddenAct = "silu",
            HiddenSize = config.HiddenSize,
            InitializerRange = 0.02,
            IntermediateSize = config.IntermediateSize,
            MaxPositionEmbeddings = config.MaxPositionEmbeddings,
            NumAttentionHeads = config.NumAttentionHeads,
            NumHiddenLayers = config.NumHiddenLayers,
            NumKeyValueHeads = config.NumKeyValueHeads,
            RmsNormEps = config.RmsNormEps,
            RopeScaling = config.RopeScaling is { } rs
                ? new HfRopeScaling
                {
                    Factor = rs.Factor, HighFreqFactor = rs.HighFreqFactor, LowFreqFactor = rs.LowFreqFactor,
                    OriginalMaxPositionEmbeddings = rs.OriginalMaxPositionEmbeddings, RopeType = Llama3RopeScaling.RopeType,
                }
                : null,
            RopeTheta = config.RopeTheta,
            SlidingWindow = llama ? null : config.MaxPositionEmbeddings,
            UseSlidingWindow = llama ? null : false,
            TieWordEmbeddings = config.TieWordEmbeddings,
            TorchDtype = config.TorchDtype,
            UseCache = true,
            VocabSize = config.VocabSize,
        };
        return JsonSerializer.Serialize(file, HfConfigJsonContext.Default.HfConfigFile) + "\n";
    }

    private static T Missing<T>(string name) => throw new CheckpointFormatException($"config.json: {name} is missing");
}
