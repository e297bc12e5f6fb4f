using System.Text.Json.Serialization;

namespace FineTune.Data;

/// <summary>Source-generated metadata of the validation report (<see cref="ValidationReportJson"/> sets the names and layout).</summary>
[JsonSerializable(typeof(ValidationReport))]
internal sealed partial class ValidationReportJsonContext : JsonSerializerContext;
