namespace FineTune.Data;

/// <summary>
/// Validates a dataset in one streaming pass: reads UTF-8 records (JSONL lines or JSON array
/// elements) through one pooled buffer, parses each into a <see cref="ChatExample"/>, applies
/// <see cref="ChatRules"/>, counts tokens and duplicates, hashes the input (SHA-256), and hands
/// kept examples to a writer. Expected failures are problems in the report, never exceptions;
/// only I/O faults and cancellation throw.
/// </summary>
public static class DatasetValidator
{
    private const int InitialBuffer = 1 << 20;

    public static Task<ValidationReport> ValidateAsync(Stream input, ValidationOptions options, CancellationToken cancellationToken = default) =>
        ValidateAsync(input, options, kept: null, cancellationToken);

    /// <summary>As above, writing kept examples as normalized chat JSONL to <paramref name="keptOutput"/>.</summary>
    public static Task<ValidationReport> ValidateAsync(Stream input, ValidationOptions options, Stream keptOutput, CancellationToken cancellationToken = default) =>
        ValidateAsync(input, options, new ChatJsonlWriter(keptOutput), cancellationToken);

    /// <summary>
    /// As above, handing kept examples to <paramref name="kept"/>. In strict mode examples are still
    /// written as they are found valid; discard the output when the report is not <see cref="ValidationReport.Usable"/>.
    /// </summary>
    public static async Task<ValidationReport> ValidateAsync(Stream input, ValidationOptions options, IExampleWriter? kept, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var run = new ValidationRun(options, kept);
        using var source = new InputSource(input);
        using var pooled = new PooledBuffer(Math.Min(InitialBuffer, options.MaxLineBytes + 1));
        var buffer = pooled.Array;
        var end = await source.FillAsync(buffer.AsMemory(0, FileSniffer.SniffBytes), cancellationToken).ConfigureAwait(false);
        var head = buffer.AsSpan(0, end);
        var start = FileSniffer.Utf8BomLength(head);
        if (FileSniffer.UnsupportedEncoding(head) is { } encoding)
            await RejectAsync(Problem.Error(1, "", ProblemCodes.UnsupportedEncoding,
                $"the file is {encoding}; save it as UTF-8", Excerpts.Ascii(head)));
        else if (FileSniffer.BinaryKind(head) is { } kind)
            await RejectAsync(Problem.Error(1, "", ProblemCodes.BinaryFile,
                $"this is {kind}, not a JSON text file", Excerpts.Ascii(head)));
        else if (FileSniffer.IsJsonArray(head[start..]))
        {
            run.Layout = "json_array";
            if (options.Format == DataFormat.Chat)
                await RejectAsync(Problem.Error(1, "", ProblemCodes.NotJsonl,
                    "the file is a JSON array, but chat data is JSONL: one JSON object per line (use --format auto to read arrays)",
                    Excerpts.OfBytes(head[start..])));
            else
                await new JsonArrayRecordReader(run, options.MaxLineBytes)
                    .ReadAsync(source, pooled, start, end, cancellationToken).ConfigureAwait(false);
        }
        else
            await new JsonlRecordReader(run, options)
                .ReadAsync(source, pooled, start, end, cancellationToken).ConfigureAwait(false);

        await source.DrainAsync(pooled.Array, cancellationToken).ConfigureAwait(false);   // hash what was not read
        await run.FlushAsync(cancellationToken).ConfigureAwait(false);
        return run.Finish(source.Sha256Hex(), source.Bytes);

        async Task RejectAsync(Problem problem)
        {
            run.FileProblem(problem);
            await source.DrainAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
    }
}
