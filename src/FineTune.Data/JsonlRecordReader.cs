using System.Runtime.CompilerServices;
using System.Buffers;

namespace FineTune.Data;

/// <summary>
/// Splits JSONL into lines over one pooled buffer and hands each non-blank line (trailing whitespace
/// and CR trimmed) to the run as UTF-8 bytes. The buffer grows up to <see cref="ValidationOptions.MaxLineBytes"/>;
/// a longer line is reported as <c>line_too_long</c> and skipped without being held in memory.
/// </summary>
internal sealed class JsonlRecordReader(ValidationRun run, int maxLineBytes)
{
    private long _line = 1;           // number of the line that starts at the buffer's `start`
    private bool _skipping;
    private long _skipped;
    private string _skipExcerpt = "";

    /// <summary>Reads to the end. Takes ownership of <paramref name="buffer"/> (pooled) and returns the one it ends with.</summary>
    public async Task<byte[]> ReadAsync(InputSource source, byte[] buffer, int start, int end, CancellationToken cancellationToken)
    {
        while (true)
        {
            start = ProcessLines(buffer.AsSpan(0, end), start);
            if (source.Eof)
            {
                if (_skipping) { EndSkip(); _line++; }
                else if (start < end) { Line(buffer.AsSpan(start, end - start)); _line++; }
                run.Lines = _line - 1;
                return buffer;
            }
            if (start > 0)
            {
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length)
            {
                if (end > maxLineBytes)
                {
                    _skipping = true;                 // a line longer than the limit: drop what we hold
                    _skipExcerpt = Excerpts.OfBytes(buffer.AsSpan(0, end));
                    _skipped = end;
                    end = 0;
                }
                else
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * buffer.Length, maxLineBytes + 1L));
                    buffer.AsSpan(0, end).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
            }
            end += await source.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
            await run.FlushAsync(cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Handles every complete line in <paramref name="data"/> from <paramref name="start"/>; returns where the unfinished line begins.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    private int ProcessLines(ReadOnlySpan<byte> data, int start)
    {
        while (start < data.Length)
        {
            var newline = data[start..].IndexOf((byte)'\n');
            if (_skipping)
            {
                if (newline < 0) { _skipped += data.Length - start; return data.Length; }
                _skipped += newline;
                EndSkip();
                _line++;
                start += newline + 1;
                continue;
            }
            if (newline < 0) return start;
            Line(data.Slice(start, newline));
            _line++;
            start += newline + 1;
        }
        return start;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    private void Line(ReadOnlySpan<byte> raw)
    {
        var line = raw.TrimEnd(" \t\r"u8);
        if (line.IndexOfAnyExcept(" \t\r\f"u8) < 0) run.BlankLines++;
        else if (line.Length > maxLineBytes) run.LineTooLong(_line, line.Length, Excerpts.OfBytes(line));
        else run.Record(_line, line);
    }

    private void EndSkip()
    {
        run.LineTooLong(_line, _skipped, _skipExcerpt);
        _skipping = false;
        _skipped = 0;
    }
}
