using System.Text.Json;

namespace FineTune.Training;

/// <summary>metrics.jsonl: one JSON object per line, flushed as written so a watcher sees progress live.</summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter _writer;

    public MetricsLog(string path, bool append)
    {
        _writer = new StreamWriter(new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public void Write(object record) => _writer.WriteLine(JsonSerializer.Serialize(record, record.GetType(), Compact));

    private static readonly JsonSerializerOptions Compact = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public void Dispose() => _writer.Dispose();
}
