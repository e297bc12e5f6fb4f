using FineTune.Training.Contract;

namespace FineTune.Training;

/// <summary>metrics.jsonl: one <see cref="MetricsLine"/> per line, flushed as written so a watcher sees progress live.</summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter _writer;

    public MetricsLog(string path, bool append)
    {
        _writer = new StreamWriter(new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public void Write(StepMetrics m) => _writer.WriteLine(MetricsLine.Format(m));
    public void Write(EpochMetrics m) => _writer.WriteLine(MetricsLine.Format(m));

    public void Dispose() => _writer.Dispose();
}
