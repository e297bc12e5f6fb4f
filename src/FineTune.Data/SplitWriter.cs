namespace FineTune.Data;

/// <summary>
/// An <see cref="IExampleWriter"/> that sends each example to a train or a validation writer by
/// <see cref="DatasetSplit.IsValidation"/>, so validation and splitting happen in one pass.
/// </summary>
public sealed class SplitWriter : IExampleWriter
{
    private readonly IExampleWriter _train, _validation;
    private readonly double _fraction;
    private readonly string _salt;

    public SplitWriter(IExampleWriter train, IExampleWriter validation, double validationFraction, string salt = "")
    {
        DatasetSplit.CheckFraction(validationFraction);
        (_train, _validation, _fraction, _salt) = (train, validation, validationFraction, salt);
    }

    public long Train { get; private set; }
    public long Validation { get; private set; }

    public void Write(ChatExample example, long line)
    {
        if (DatasetSplit.IsValidation(example, _fraction, _salt)) { _validation.Write(example, line); Validation++; }
        else { _train.Write(example, line); Train++; }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await _train.FlushAsync(cancellationToken).ConfigureAwait(false);
        await _validation.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
