using System.Text.Json;

namespace FineTune.Training.Contract;

/// <summary>
/// A line of metrics.jsonl (local and in storage): a <see cref="StepMetrics"/> or an <see cref="EpochMetrics"/>, told apart by
/// their <c>type</c> ("step", "epoch"). One writer and one reader for the trainer, the storage run and the pipeline.
/// </summary>
public static class MetricsLine
{
    public static string Format(StepMetrics m) => JsonSerializer.Serialize(m, RunContractJson.Default.StepMetrics);
    public static string Format(EpochMetrics m) => JsonSerializer.Serialize(m, RunContractJson.Default.EpochMetrics);

    /// <summary>
    /// The <see cref="StepMetrics"/> or <see cref="EpochMetrics"/> of a line; null for a line that is not whole JSON (cut by a
    /// crash mid-write); <see cref="InvalidDataException"/> for JSON that does not match the contract.
    /// </summary>
    public static object? Parse(string line)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException) { return null; }
        using (doc)
        {
            var type = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("type", out var t)
                && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            try
            {
                return type switch
                {
                    StepMetrics.Kind => doc.RootElement.Deserialize(RunContractJson.Default.StepMetrics),
                    EpochMetrics.Kind => doc.RootElement.Deserialize(RunContractJson.Default.EpochMetrics),
                    _ => throw new InvalidDataException($"metrics line has no type \"step\" or \"epoch\": {Shorten(line)}"),
                };
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"metrics line does not match the {type} contract: {e.Message}", e);
            }
        }
    }

    /// <summary>The lines of a metrics file that parse, in order (cut lines skipped).</summary>
    public static IEnumerable<object> ParseAll(string? text) =>
        (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).OfType<object>();

    private static string Shorten(string s) => s.Length <= 120 ? s : s[..120] + "…";
}
