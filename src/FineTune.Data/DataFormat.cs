using System.Text.Json.Serialization;

namespace FineTune.Data;

/// <summary>Input formats. <see cref="Auto"/> decides from the first record's keys.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DataFormat>))]
public enum DataFormat
{
    [JsonStringEnumMemberName("auto")] Auto,
    /// <summary>OpenAI chat JSONL: <c>{"messages":[{"role","content"}]}</c> per line.</summary>
    [JsonStringEnumMemberName("chat")] Chat,
    /// <summary>Alpaca: instruction, input, output, system, history (JSON array or JSONL).</summary>
    [JsonStringEnumMemberName("alpaca")] Alpaca,
    /// <summary>ShareGPT: conversations of {from, value} (JSON array or JSONL).</summary>
    [JsonStringEnumMemberName("sharegpt")] ShareGpt,
}
