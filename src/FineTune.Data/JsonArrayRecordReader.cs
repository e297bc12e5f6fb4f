using System.Text.Json;

namespace FineTune.Data;

/// <summary>
/// Streams the elements of a top-level JSON array (Alpaca and ShareGPT files are often one array)
/// through a resumable <see cref="Utf8JsonReader"/>, handing each element's bytes to the run with the
/// line it starts on. A syntax error ends the read: the report names the line and says the rest was not read.
/// </summary>
internal sealed class JsonArrayRecordReader(ValidationRun run, int maxRecordBytes)
{
    private enum Status { NeedMore, Done, Failed }

    private JsonReaderState _state = new(JsonValues.ReaderOptions);
    private long _line = 1;           // line number at the buffer's `start`

    /// <summary>Reads to the end; <paramref name="pooled"/> holds bytes [start, end) already read and may grow.</summary>
    public async Task ReadAsync(InputSource source, PooledBuffer pooled, int start, int end, CancellationToken cancellationToken)
    {
        var buffer = pooled.Array;
        while (true)
        {
            var status = Step(buffer.AsSpan(start, end - start), source.Eof, out var consumed);
            start += consumed;
            if (status == Status.Failed) { run.Lines = _line; return; }
            if (status == Status.Done) { await TrailingAsync(source, buffer, start, end, cancellationToken).ConfigureAwait(false); return; }

            if (start > 0)
            {
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length)
            {
                if (end > maxRecordBytes)
                {
                    run.FileProblem(Problem.Error(_line, "", ProblemCodes.LineTooLong,
                        $"an array element starting near line {_line} is over the limit of {maxRecordBytes:N0} bytes; the rest of the file was not read",
                        Excerpts.OfBytes(buffer.AsSpan(0, end))));
                    run.Lines = _line;
                    return;
                }
                buffer = pooled.Grow(end, (int)Math.Min(2L * buffer.Length, maxRecordBytes + 1L));
            }
            end += await source.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
            await run.FlushAsync(cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private Status Step(ReadOnlySpan<byte> data, bool final, out int consumed)
    {
        var reader = new Utf8JsonReader(data, final, _state);
        var counted = 0;                                   // newlines of data[..counted] are in _line
        try
        {
            while (true)
            {
                var before = reader.CurrentState;
                var beforeConsumed = (int)reader.BytesConsumed;
                if (!reader.Read())
                {
                    consumed = (int)reader.BytesConsumed;
                    _state = reader.CurrentState;
                    Advance(data, ref counted, consumed);
                    return Status.NeedMore;
                }
                if (reader.CurrentDepth == 0)
                {
                    if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        consumed = (int)reader.BytesConsumed;
                        Advance(data, ref counted, consumed);
                        return Status.Done;
                    }
                    continue;                                 // the opening '['
                }

                var elementStart = (int)reader.TokenStartIndex;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip())
                {
                    consumed = beforeConsumed;               // come back to this element with more data
                    _state = before;
                    Advance(data, ref counted, consumed);
                    return Status.NeedMore;
                }
                var element = data[elementStart..(int)reader.BytesConsumed];
                Advance(data, ref counted, elementStart);
                if (element.Length > maxRecordBytes)
                    run.LineTooLong(_line, element.Length, Excerpts.OfBytes(element));
                else
                    run.Record(_line, element);
            }
        }
        catch (JsonException ex)
        {
            consumed = data.Length;
            Advance(data, ref counted, data.Length);
            var line = (ex.LineNumber ?? 0) + 1;
            var message = ex.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
            run.FileProblem(Problem.Error(line, "", ProblemCodes.InvalidJson,
                $"not valid JSON at byte {(ex.BytePositionInLine ?? 0) + 1} of the line: {message} The rest of the file was not read.",
                Excerpts.OfBytes(data, reader.BytesConsumed)));
            return Status.Failed;
        }
    }

    private void Advance(ReadOnlySpan<byte> data, ref int counted, int to)
    {
        if (to <= counted) return;
        _line += data[counted..to].Count((byte)'\n');
        counted = to;
    }

    /// <summary>After the closing ']' only whitespace may follow.</summary>
    private async Task TrailingAsync(InputSource source, byte[] buffer, int start, int end, CancellationToken cancellationToken)
    {
        var endsWithNewline = false;    // a final '\n' ends the last line rather than starting one
        while (true)
        {
            var rest = buffer.AsSpan(start, end - start);
            var junk = rest.IndexOfAnyExcept(" \t\r\n"u8);
            if (junk >= 0)
            {
                _line += rest[..junk].Count((byte)'\n');
                run.FileProblem(Problem.Error(_line, "", ProblemCodes.InvalidJson,
                    "content after the closing ']' of the JSON array (two arrays, or JSONL after an array?)", Excerpts.OfBytes(rest, junk)));
                run.Lines = _line;
                return;
            }
            _line += rest.Count((byte)'\n');
            if (!rest.IsEmpty) endsWithNewline = rest[^1] == (byte)'\n';
            if (source.Eof) break;
            start = 0;
            end = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        run.Lines = endsWithNewline ? _line - 1 : _line;
    }
}
