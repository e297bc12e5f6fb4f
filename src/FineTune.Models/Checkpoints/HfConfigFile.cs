using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace FineTune.Models.Checkpoints;

/// <summary>
/// Hugging Face config.json for llama and qwen2, field by field: what the engine reads, and what it writes, in the
/// order transformers writes them. Fields not listed are ignored when read; null fields are left out when written,
/// except the three Hugging Face writes as null (bos_token_id, eos_token_id, rope_scaling).
/// </summary>
internal sealed class HfConfigFile
{
    public List<string>? Architectures { get; set; }
    public string? ModelType { get; set; }
    // the rest in sorted order, as transformers writes them
    public bool? AttentionBias { get; set; }
    public double? AttentionDropout { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int? BosTokenId { get; set; }
    /// <summary>Newer transformers write dtype instead of torch_dtype.</summary>
    public string? Dtype { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never), JsonConverter(typeof(EosTokenIdConverter))]
    public int[]? EosTokenId { get; set; }
    public int? HeadDim { get; set; }
    public string? HiddenAct { get; set; }
    public int? HiddenSize { get; set; }
    public double? InitializerRange { get; set; }
    public int? IntermediateSize { get; set; }
    public int? MaxPositionEmbeddings { get; set; }
    public bool? MlpBias { get; set; }
    public int? NumAttentionHeads { get; set; }
    public int? NumHiddenLayers { get; set; }
    public int? NumKeyValueHeads { get; set; }
    public int? PretrainingTp { get; set; }
    public JsonNode? QuantizationConfig { get; set; }
    public double? RmsNormEps { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public HfRopeScaling? RopeScaling { get; set; }
    public double? RopeTheta { get; set; }
    public int? SlidingWindow { get; set; }
    public bool? TieWordEmbeddings { get; set; }
    public string? TorchDtype { get; set; }
    public bool? UseCache { get; set; }
    public bool? UseSlidingWindow { get; set; }
    public int? VocabSize { get; set; }
}

internal sealed class HfRopeScaling
{
    public double? Factor { get; set; }
    public double? HighFreqFactor { get; set; }
    public double? LowFreqFactor { get; set; }
    public int? OriginalMaxPositionEmbeddings { get; set; }
    public string? RopeType { get; set; }
    /// <summary>Older configs name rope_type this way.</summary>
    public string? Type { get; set; }
}

/// <summary>eos_token_id: one integer or a list of them (written as one when there is one).</summary>
internal sealed class EosTokenIdConverter : JsonConverter<int[]>
{
    private static readonly WholeNumberConverter Id = new();

    public override int[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) return [Id.Read(ref reader, typeof(int), options)];
        var ids = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) ids.Add(Id.Read(ref reader, typeof(int), options));
        return [.. ids];
    }

    public override void Write(Utf8JsonWriter writer, int[] value, JsonSerializerOptions options)
    {
        if (value.Length == 1) { writer.WriteNumberValue(value[0]); return; }
        writer.WriteStartArray();
        foreach (var id in value) writer.WriteNumberValue(id);
        writer.WriteEndArray();
    }
}

/// <summary>An integer, also when written as a whole float (<c>4096.0</c>), as Python tools sometimes do.</summary>
internal sealed class WholeNumberConverter : JsonConverter<int>
{
    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (reader.TryGetInt32(out var i)) return i;
            if (reader.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue) return (int)d;
        }
        throw new JsonException();
    }

    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Converters = [typeof(WholeNumberConverter)])]
[JsonSerializable(typeof(HfConfigFile))]
internal sealed partial class HfConfigJsonContext : JsonSerializerContext;
