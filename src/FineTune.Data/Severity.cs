using System.Text.Json.Serialization;

namespace FineTune.Data;

/// <summary>An error makes an example (or the file) unusable; a warning does not.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Severity>))]
public enum Severity
{
    [JsonStringEnumMemberName("error")] Error,
    [JsonStringEnumMemberName("warning")] Warning,
}
