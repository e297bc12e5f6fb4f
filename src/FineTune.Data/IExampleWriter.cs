namespace FineTune.Data;

/// <summary>
/// Receives the kept examples of a validation, in input order. Writers buffer; the validator calls
/// <see cref="FlushAsync"/> between reads and at the end.
/// </summary>
public interface IExampleWriter
{
    void Write(ChatExample example, long line);
    ValueTask FlushAsync(CancellationToken cancellationToken);
}
