using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace FineTune.Data;

/// <summary>
/// The state of one validation: takes records (raw UTF-8 bytes with their line) from a reader,
/// checks them (<see cref="RecordChecker"/>, here or on other threads), accounts for the outcomes in
/// input order, keeps statistics, and builds the report. Not thread-safe: the readers in
/// <see cref="DatasetValidator"/> call it from one thread at a time.
/// </summary>
internal sealed class ValidationRun(ValidationOptions options, IExampleWriter? kept)
{
    private readonly ITokenCounter _counter = options.TokenCounter ?? EstimatingTokenCounter.Instance;
    private readonly List<Problem> _problems = [];
    private readonly List<DroppedLine> _dropped = [];
    private readonly Dictionary<string, long> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, (long Line, ulong Exact)> _seen = [];
    private readonly RecordChecker _checker = new(options.DetectDuplicates);
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
        var outcome = RecordChecker.TooLong(line, length, options.MaxLineBytes, excerpt);
        Consume(ref outcome);
    }

    /// <summary>Checks one record here and now (serially), detecting the format first in auto mode.</summary>
    public void Record(long line, ReadOnlySpan<byte> bytes)
    {
        if (!_formatKnown && Detect(bytes) is { } detected)
        {
            _format = detected;
            _formatKnown = true;
        }
        var outcome = _checker.Check(line, bytes, _format);
        Consume(ref outcome);
    }

    /// <summary>True once records can be checked in parallel: the format is settled and more than one thread is allowed.</summary>
    public bool CanCheckInParallel => _formatKnown && options.Parallelism > 1;

    /// <summary>The format to check records in (settled when <see cref="CanCheckInParallel"/>).</summary>
    public DataFormat Format => _format;

    /// <summary>A checker for another thread.</summary>
    public RecordChecker NewChecker() => new(options.DetectDuplicates);

    /// <summary>Accounts for one checked record; records must arrive in input order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    public void Consume(ref RecordOutcome outcome)
    {
        _records++;
        if (outcome.Problems is { } problems)
            foreach (var problem in problems) Add(problem);
        if (outcome.FirstError is { } error)
        {
            _droppedCount++;
            if (_dropped.Count < options.MaxReportedProblems)
                _dropped.Add(new DroppedLine(outcome.Line, error.Code, error.Message));
        }
        else if (outcome.Example is { } example)
            Keep(example, outcome.Line, outcome.Exact, outcome.Normalized);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    private void Keep(ChatExample example, long line, ulong exact, ulong normalized)
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
                Excerpt(example)));
        }

        if (options.DetectDuplicates)
        {
            if (_seen.TryGetValue(normalized, out var first))
            {
                if (first.Exact == exact)
                {
                    _duplicates++;
                    Add(Problem.Warning(line, "", ProblemCodes.Duplicate, $"the same example as line {first.Line}", Excerpt(example)));
                }
                else
                {
                    _near++;
                    Add(Problem.Warning(line, "", ProblemCodes.NearDuplicate, $"the same example as line {first.Line} up to case and whitespace", Excerpt(example)));
                }
            }
            else _seen.Add(normalized, (line, exact));
        }
        kept?.Write(example, line);
    }

    /// <summary>The first user message, which names an example best.</summary>
    private static string Excerpt(ChatExample example)
    {
        foreach (var m in example.Messages)
            if (m.Role == ChatRoles.User) return Excerpts.Of(m.Content);
        return example.Messages.Count > 0 ? Excerpts.Of(example.Messages[0].Content) : "";
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

    private string CounterName => options.TokenCounter is null ? "estimated" : options.TokenCounterName ?? "tokenizer";

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
