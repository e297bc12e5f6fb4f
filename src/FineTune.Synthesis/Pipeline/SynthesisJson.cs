using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FineTune.Synthesis;

/// <summary>One line of OUT.jsonl.sources.jsonl: where output line <see cref="Line"/> came from.</summary>
internal sealed record SourceLine(long Line, string Chunk, string Source, int FirstPage, int LastPage, double Grounding, bool Flagged);

/// <summary>
/// The JSON the synthesis writes (report, per-chunk results, sources lines), source-generated: camelCase, text unescaped.
/// </summary>
[JsonSerializable(typeof(SynthesisReport))]
[JsonSerializable(typeof(ChunkResult))]
[JsonSerializable(typeof(SourceLine))]
internal sealed partial class SynthesisJsonContext : JsonSerializerContext
{
    /// <summary>Indented: report.json and the chunk files.</summary>
    public static readonly JsonSerializerOptions Files = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = Default,
    };

    /// <summary>One object per line: the sources file and `finetune synthesize --json`.</summary>
    public static readonly JsonSerializerOptions Lines = new(Files) { WriteIndented = false };
}
