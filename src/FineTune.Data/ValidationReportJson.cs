using System.Text.Encodings.Web;
using System.Text.Json;

namespace FineTune.Data;

/// <summary>
/// The JSON form of a <see cref="ValidationReport"/> (what `finetune validate --json` prints and
/// report.json holds): snake_case names, enums as lowercase strings, problems with
/// line, path, severity, code, message and excerpt.
/// </summary>
public static class ValidationReportJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
        TypeInfoResolver = ValidationReportJsonContext.Default,
    };

    private static readonly JsonSerializerOptions Compact = new(Options) { WriteIndented = false };

    public static string Serialize(ValidationReport report, bool indented = true) =>
        JsonSerializer.Serialize(report, indented ? Options : Compact);

    public static ValidationReport Deserialize(string json) =>
        JsonSerializer.Deserialize<ValidationReport>(json, Options) ?? throw new InvalidDataException("the report is null");
}
