using System.Runtime.CompilerServices;

namespace FineTune.Data;

/// <summary>
/// Splits JSONL into lines over one pooled buffer and hands each non-blank line (trailing whitespace
/// and CR trimmed) to the run as UTF-8 bytes. The buffer grows up to <see cref="ValidationOptions.MaxLineBytes"/>;
/// a longer line is reported as <c>line_too_long</c> and skipped without being held in memory.
/// Once the format is settled, the complete lines of each buffer are checked on
/// <see cref="ValidationOptions.Parallelism"/> threads (contiguous ranges), then accounted for in order.
/// </summary>
internal sealed class JsonlRecordReader(ValidationRun run, ValidationOptions options)
{
    private const int LinesPerSlice = 32;

    /// <summary>Records checked on parallel threads, process-wide (for tests).</summary>
    internal static long ParallelRecords;

    private readonly int _maxLineBytes = options.MaxLineBytes;
    private readonly List<Pending> _pending = [];
    private RecordOutcome[] _outcomes = [];
    private RecordChecker[] _checkers = [];
    private SliceRunner? _runner;
    private long _line = 1;           // number of the line that starts at the buffer's `start`
    private bool _skipping;
    private long _skipped;
    private string _skipExcerpt = "";

    /// <summary>A complete line waiting to be checked: where it is in the buffer, or why it will not be parsed.</summary>
    private readonly record struct Pending(int Start, int Length, long Line, string? TooLongExcerpt);

    /// <summary>Reads to the end; <paramref name="pooled"/> holds bytes [start, end) already read and may grow.</summary>
    public async Task ReadAsync(InputSource source, PooledBuffer pooled, int start, int end, CancellationToken cancellationToken)
    {
        try
        {
            await ReadAllAsync(source, pooled, start, end, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _runner?.Dispose();
        }
    }

    private async Task ReadAllAsync(InputSource source, PooledBuffer pooled, int start, int end, CancellationToken cancellationToken)
    {
        var buffer = pooled.Array;
        while (true)
        {
            start = ProcessLines(buffer, end, start);
            if (source.Eof)
            {
                if (_skipping) { EndSkip(); _line++; }
                else if (start < end)
                {
                    Gather(buffer.AsSpan(start, end - start), start);
                    CheckPending(buffer);
                    _line++;
                }
                run.Lines = _line - 1;
                return;
            }
            if (start > 0)
            {
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length)
            {
                if (end > _maxLineBytes)
                {
                    _skipping = true;                 // a line longer than the limit: drop what we hold
                    _skipExcerpt = Excerpts.OfBytes(buffer.AsSpan(0, end));
                    _skipped = end;
                    end = 0;
                }
                else buffer = pooled.Grow(end, (int)Math.Min(2L * buffer.Length, _maxLineBytes + 1L));
            }
            end += await source.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
            await run.FlushAsync(cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Checks every complete line in buffer[start..end]; returns where the unfinished line begins.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    private int ProcessLines(byte[] buffer, int end, int start)
    {
        var data = buffer.AsSpan(0, end);
        while (start < end)
        {
            var newline = data[start..].IndexOf((byte)'\n');
            if (_skipping)
            {
                if (newline < 0) { _skipped += end - start; return end; }
                _skipped += newline;
                EndSkip();                            // nothing is pending yet: order is kept
                _line++;
                start += newline + 1;
                continue;
            }
            if (newline < 0) break;
            Gather(data.Slice(start, newline), start);
            _line++;
            start += newline + 1;
        }
        CheckPending(buffer);
        return start;
    }

    private void Gather(ReadOnlySpan<byte> raw, int offset)
    {
        var line = raw.TrimEnd(" \t\r"u8);
        if (line.IndexOfAnyExcept(" \t\r\f"u8) < 0) run.BlankLines++;
        else if (line.Length > _maxLineBytes) _pending.Add(new Pending(offset, line.Length, _line, Excerpts.OfBytes(line)));
        else _pending.Add(new Pending(offset, line.Length, _line, null));
    }

    private void CheckPending(byte[] buffer)
    {
        var n = _pending.Count;
        var i = 0;
        // Serially until the format is settled (auto mode detects it from the first readable record),
        // and for the whole batch when it is too small to share.
        for (; i < n && (!run.CanCheckInParallel || n - i < 2 * LinesPerSlice); i++)
        {
            var p = _pending[i];
            if (p.TooLongExcerpt is { } excerpt) run.LineTooLong(p.Line, p.Length, excerpt);
            else run.Record(p.Line, buffer.AsSpan(p.Start, p.Length));
        }
        if (i < n) CheckInParallel(buffer, i);
        _pending.Clear();
    }

    private void CheckInParallel(byte[] buffer, int from)
    {
        var n = _pending.Count;
        if (_outcomes.Length < n) _outcomes = new RecordOutcome[Math.Max(n, 2 * _outcomes.Length)];
        if (_runner is null)
        {
            _runner = new SliceRunner(options.Parallelism - 1);
            _checkers = Enumerable.Range(0, options.Parallelism).Select(_ => run.NewChecker()).ToArray();
        }
        var slices = (n - from + LinesPerSlice - 1) / LinesPerSlice;
        var format = run.Format;
        _runner.Run(slices, (slice, thread) =>
        {
            var checker = _checkers[thread];
            var end = Math.Min(n, from + (slice + 1) * LinesPerSlice);
            for (var i = from + slice * LinesPerSlice; i < end; i++)
            {
                var p = _pending[i];
                _outcomes[i] = p.TooLongExcerpt is { } excerpt
                    ? RecordChecker.TooLong(p.Line, p.Length, _maxLineBytes, excerpt)
                    : checker.Check(p.Line, buffer.AsSpan(p.Start, p.Length), format);
            }
        });
        Interlocked.Add(ref ParallelRecords, n - from);
        for (var i = from; i < n; i++)
        {
            run.Consume(ref _outcomes[i]);
            _outcomes[i] = default;
        }
    }

    private void EndSkip()
    {
        run.LineTooLong(_line, _skipped, _skipExcerpt);
        _skipping = false;
        _skipped = 0;
    }
}
