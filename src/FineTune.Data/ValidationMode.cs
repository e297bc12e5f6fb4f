using System.Text.Json.Serialization;

namespace FineTune.Data;

/// <summary>
/// Strict rejects the file on any error (the hosted services' behaviour); lenient keeps the valid
/// examples and lists every dropped line with its reason.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ValidationMode>))]
public enum ValidationMode
{
    [JsonStringEnumMemberName("strict")] Strict,
    [JsonStringEnumMemberName("lenient")] Lenient,
}
