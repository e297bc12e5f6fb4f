using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace FineTune.Data;

/// <summary>
/// The state of one validation: takes records (raw UTF-8 bytes with their line) from a reader,
/// parses and checks them, keeps statistics, and builds the report. Synchronous and single-threaded;
/// the readers in <see cref="DatasetValidator"/> feed it.
/// </summary>
internal sealed class ValidationRun(ValidationOptions options, IExampleWriter? kept)
{
    private readonly ITokenCounter _counter = options.TokenCounter ?? EstimatingTokenCounter.Instance;
    private readonly List<Problem> _problems = [];
    private readonly List<Problem> _scratch = new(8);
    private readonly List<DroppedLine> _dropped = [];
    private readonly Dictionary<string, long> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, (long Line, ulong Exact)> _seen = [];
    private readonly ExampleHasher _hasher = new();
    private readonly TokenHistogram _tokens = new();
    private DataFormat _format = options.Format;
    private bool _formatKnown = options.Format != DataFormat.Auto;
    private long _errors, _warnings, _records, _valid, _droppedCount, _messages, _turns, _over, _duplicates, _near;
    private bool _truncated, _fatal;

    public string Layout { get; set; } = "jsonl";
    public long Lines { get; set; }
    public long BlankLines { get; set; }
    public long Records => _records;

    public ValueTask FlushAsync(CancellationToken cancellationToken) =>
        kept?.FlushAsync(cancellationToken) ?? ValueTask.CompletedTask;

    /// <summary>A problem with the file as a whole; an error here makes the file unusable.</summary>
    public void FileProblem(Problem problem)
    {
        if (problem.Severity == Severity.Error) _fatal = true;
        Add(problem);
    }

    /// <summary>A record over <see cref="ValidationOptions.MaxLineBytes"/>, skipped without parsing.</summary>
    public void LineTooLong(long line, long length, string excerpt)
    {
        _records++;
        Drop(Problem.Error(line, "", ProblemCodes.LineTooLong,
            $"the line is {length:N0} bytes, over the limit of {options.MaxLineBytes:N0}; it was not parsed", excerpt));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    public void Record(long line, ReadOnlySpan<byte> bytes)
    {
        _records++;
        _scratch.Clear();
        ParsedRecord? parsed = null;
        try
        {
            parsed = Parse(bytes, line);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Only now look for the byte-level causes: NUL bytes and invalid UTF-8 make the reader or the
            // transcoder throw, so valid lines never pay for a separate scan.
            _scratch.Clear();
            parsed = null;
            _scratch.Add(ByteProblem(line, bytes) ?? InvalidJson(line, bytes, ex));
        }
        if (parsed is { } p)
            ChatRules.Check(p.Example, line, p.Path, _scratch);

        var firstError = _scratch.Find(static x => x.Severity == Severity.Error);
        if (firstError is not null || parsed is null)
        {
            _droppedCount++;
            if (firstError is not null && _dropped.Count < options.MaxReportedProblems)
                _dropped.Add(new DroppedLine(line, firstError.Code, firstError.Message));
            foreach (var problem in _scratch) Add(WithExcerpt(problem, bytes));
            return;
        }

        foreach (var problem in _scratch) Add(WithExcerpt(problem, bytes));
        Keep(parsed.Value.Example, line, bytes);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    private void Keep(ChatExample example, long line, ReadOnlySpan<byte> bytes)
    {
        _valid++;
        _messages += example.Messages.Count;
        for (var i = 1; i < example.Messages.Count; i++)
            if (example.Messages[i].Role == ChatRoles.Assistant && example.Messages[i - 1].Role == ChatRoles.User)
                _turns++;

        var tokens = _counter.CountTokens(example);
        _tokens.Add(tokens);
        if (tokens > options.MaxTokens)
        {
            _over++;
            Add(Problem.Warning(line, "messages", ProblemCodes.TooLong,
                $"the example has {tokens:N0} tokens ({CounterName}), over the max of {options.MaxTokens:N0}; training truncates it",
                Excerpts.OfBytes(bytes)));
        }

        if (options.DetectDuplicates)
        {
            var (exact, normalized) = _hasher.Hash(example);
            if (_seen.TryGetValue(normalized, out var first))
            {
                if (first.Exact == exact)
                {
                    _duplicates++;
                    Add(Problem.Warning(line, "", ProblemCodes.Duplicate, $"the same example as line {first.Line}", Excerpts.OfBytes(bytes)));
                }
                else
                {
                    _near++;
                    Add(Problem.Warning(line, "", ProblemCodes.NearDuplicate, $"the same example as line {first.Line} up to case and whitespace", Excerpts.OfBytes(bytes)));
                }
            }
            else _seen.Add(normalized, (line, exact));
        }
        kept?.Write(example, line);
    }

    private ParsedRecord? Parse(ReadOnlySpan<byte> bytes, long line)
    {
        if (!_formatKnown && Detect(bytes) is { } detected)
        {
            _format = detected;
            _formatKnown = true;
        }
        return _format switch
        {
            DataFormat.Alpaca => AlpacaRecordParser.Parse(bytes, line, _scratch),
            DataFormat.ShareGpt => ShareGptRecordParser.Parse(bytes, line, _scratch),
            _ => ChatRecordParser.Parse(bytes, line, _scratch),   // chat, and auto until a record shows its format
        };
    }

    /// <summary>The format a record's top-level keys show: messages → chat, conversations → ShareGPT, instruction/output → Alpaca.</summary>
    internal static DataFormat? Detect(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes, JsonValues.ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("messages"u8)) return DataFormat.Chat;
                if (reader.ValueTextEquals("conversations"u8)) return DataFormat.ShareGpt;
                if (reader.ValueTextEquals("instruction"u8) || reader.ValueTextEquals("output"u8)) return DataFormat.Alpaca;
                reader.Read();
                reader.Skip();
            }
        }
        catch (JsonException) { }
        return null;
    }

    /// <summary>Problems without an excerpt of their own show the start of the record.</summary>
    private static Problem WithExcerpt(Problem problem, ReadOnlySpan<byte> bytes) =>
        problem.Excerpt is null ? problem with { Excerpt = Excerpts.OfBytes(bytes) } : problem;

    private static Problem? ByteProblem(long line, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IndexOf((byte)0) is var nul and >= 0)
            return Problem.Error(line, "", ProblemCodes.NulByte, $"NUL byte at byte {nul + 1} of the line", Excerpts.OfBytes(bytes, nul));
        if (Utf8.IsValid(bytes)) return null;
        var at = FirstInvalidUtf8(bytes);
        return Problem.Error(line, "", ProblemCodes.InvalidUtf8,
            $"invalid UTF-8 at byte {at + 1} of the line (save the file as UTF-8)", Excerpts.OfBytes(bytes, at));
    }

    private string CounterName => options.TokenCounter is null ? "estimated" : options.TokenCounterName ?? "tokenizer";

    private static Problem InvalidJson(long line, ReadOnlySpan<byte> bytes, Exception ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        long lineInRecord = 0, column = 0;
        if (ex is JsonException { LineNumber: { } ln, BytePositionInLine: { } col })
            (lineInRecord, column) = (ln, col);
        var offset = OffsetOf(bytes, lineInRecord, column);
        var trimmed = bytes.Trim(" \t\r\n"u8);
        if (trimmed.SequenceEqual("{"u8) || trimmed.SequenceEqual("["u8))
            message += " (is this JSON spread over several lines? JSONL needs each example on one line)";
        return Problem.Error(line + lineInRecord, "", ProblemCodes.InvalidJson,
            $"not valid JSON at byte {column + 1}: {message}", Excerpts.OfBytes(bytes, offset));
    }

    private static long OffsetOf(ReadOnlySpan<byte> bytes, long line, long column)
    {
        var offset = 0;
        for (var i = 0; i < line && bytes[offset..].IndexOf((byte)'\n') is var nl and >= 0; i++)
            offset += nl + 1;
        return Math.Min(offset + column, bytes.Length);
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
                return offset;
            offset += consumed;
        }
        return offset;
    }

    private void Drop(Problem error)
    {
        _droppedCount++;
        if (_dropped.Count < options.MaxReportedProblems)
            _dropped.Add(new DroppedLine(error.Line, error.Code, error.Message));
        Add(error);
    }

    private void Add(Problem problem)
    {
        if (problem.Severity == Severity.Error) _errors++; else _warnings++;
        _codes[problem.Code] = _codes.GetValueOrDefault(problem.Code) + 1;
        if (_problems.Count < options.MaxReportedProblems) _problems.Add(problem);
        else _truncated = true;
    }

    public ValidationReport Finish(string sha256, long bytes)
    {
        if (!_fatal && _records == 0)
            FileProblem(Problem.Error(0, "", ProblemCodes.EmptyFile,
                bytes == 0 ? "the file is empty" : "the file has no examples (only blank lines)"));
        if (_valid > 0 && _valid < options.MinExamples)
            Add(Problem.Warning(0, "", ProblemCodes.TooFewExamples,
                $"only {_valid} valid example(s); fine-tuning needs at least {options.MinExamples}, and works better with 50 to 100 or more"));

        var tokens = _tokens.Summarize();
        return new ValidationReport
        {
            Sha256 = sha256,
            Bytes = bytes,
            Format = _formatKnown ? _format : DataFormat.Chat,
            Layout = Layout,
            Mode = options.Mode,
            Usable = !_fatal && _valid > 0 && (options.Mode == ValidationMode.Lenient || _errors == 0),
            Lines = Lines,
            BlankLines = BlankLines,
            Records = _records,
            ValidExamples = _valid,
            DroppedExamples = _droppedCount,
            Errors = _errors,
            Warnings = _warnings,
            CountsByCode = new SortedDictionary<string, long>(_codes, StringComparer.Ordinal),
            Statistics = new DatasetStatistics(_valid, _messages, _turns, tokens,
                options.TokenCounter is null ? "estimate" : options.TokenCounterName ?? "tokenizer",
                options.MaxTokens, _over, options.Epochs, tokens.Total * options.Epochs, _duplicates, _near),
            Problems = _problems,
            Dropped = _dropped,
            Truncated = _truncated || _dropped.Count < _droppedCount,
        };
    }
}
