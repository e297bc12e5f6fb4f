namespace FineTune.Data;

/// <summary>
/// Validates a dataset in one streaming pass: reads UTF-8 records (JSONL lines or JSON array
/// elements), parses each into a <see cref="ChatExample"/>, applies <see cref="ChatRules"/>, counts
/// tokens and duplicates, hashes the input (SHA-256), and hands kept examples to a writer.
/// </summary>
public static class DatasetValidator
{
    public static Task<ValidationReport> ValidateAsync(Stream input, ValidationOptions options, CancellationToken cancellationToken = default) =>
        ValidateAsync(input, options, kept: null, cancellationToken);

    /// <summary>As above, writing kept examples as normalized chat JSONL to <paramref name="keptOutput"/>.</summary>
    public static Task<ValidationReport> ValidateAsync(Stream input, ValidationOptions options, Stream keptOutput, CancellationToken cancellationToken = default) =>
        ValidateAsync(input, options, new ChatJsonlWriter(keptOutput), cancellationToken);

    /// <summary>
    /// As above, handing kept examples to <paramref name="kept"/>. In strict mode examples are still
    /// written as they are found valid; discard the output when the report is not <see cref="ValidationReport.Usable"/>.
    /// </summary>
    public static Task<ValidationReport> ValidateAsync(Stream input, ValidationOptions options, IExampleWriter? kept, CancellationToken cancellationToken = default)
    {
        // Contract landed first so dependent projects can compile; the streaming engine follows in the next commit.
        throw new NotImplementedException("DatasetValidator: streaming engine lands in the next commit");
    }
}
