using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FineTune.Training.Evaluation;

/// <summary>
/// report.json: what was evaluated and how, and per variant (<c>base</c> first, then each adapter by name)
/// its scores; <see cref="PerItemFiles"/> names each variant's items.NAME.jsonl.
/// </summary>
public sealed record EvalReport(
    string Model, IReadOnlyList<AdapterRef> Adapters, string? Data, int Items, int Shots, DecodingSettings Decoding,
    string Template, string Device, IReadOnlyDictionary<string, VariantScore> Results, IReadOnlyDictionary<string, string> PerItemFiles)
{
    public const string FileName = "report.json";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = EvalJsonContext.Default,
    };

    /// <summary>The per-item lines: compact, one object each.</summary>
    public static readonly JsonSerializerOptions ItemJson = new(Json) { WriteIndented = false };

    /// <summary>The score of a variant (<c>base</c> or an adapter name) in one extraction mode.</summary>
    public double Score(string variant, ExtractionMode mode = ExtractionMode.Flexible) =>
        Results.TryGetValue(variant, out var s) ? s.Accuracy(mode)
            : throw new KeyNotFoundException($"the report has no results for '{variant}' (it has {string.Join(", ", Results.Keys)})");

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static EvalReport Load(string path) =>
        JsonSerializer.Deserialize<EvalReport>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty report");
}

/// <summary>Source-generated metadata of report.json and the items files (<see cref="EvalReport.Json"/> sets the names and layout).</summary>
[JsonSerializable(typeof(EvalReport))]
[JsonSerializable(typeof(EvalItemResult))]
internal sealed partial class EvalJsonContext : JsonSerializerContext;
