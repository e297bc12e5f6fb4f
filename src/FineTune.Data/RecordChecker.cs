using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Unicode;

namespace FineTune.Data;

/// <summary>What checking one record found; <see cref="ValidationRun.Consume"/> accounts for it in input order.</summary>
internal struct RecordOutcome
{
    public long Line;
    /// <summary>The example, when the record is valid and kept.</summary>
    public ChatExample? Example;
    /// <summary>Problems found while checking (excerpts filled), or null.</summary>
    public List<Problem>? Problems;
    /// <summary>The first error, when the record is dropped.</summary>
    public Problem? FirstError;
    /// <summary>Duplicate-detection hashes of a kept example.</summary>
    public ulong Exact, Normalized;
}

/// <summary>
/// The per-record work that needs no shared state: parse the bytes in the given format, apply
/// <see cref="ChatRules"/>, hash for duplicates. One per thread; <see cref="ValidationRun"/> does the
/// accounting (statistics, duplicates table, report, writer) in order.
/// </summary>
internal sealed class RecordChecker(bool hashDuplicates)
{
    private readonly List<Problem> _scratch = new(8);
    private readonly ExampleHasher _hasher = new();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    public RecordOutcome Check(long line, ReadOnlySpan<byte> bytes, DataFormat format)
    {
        _scratch.Clear();
        ParsedRecord? parsed;
        try
        {
            parsed = format switch
            {
                DataFormat.Alpaca => AlpacaRecordParser.Parse(bytes, line, _scratch),
                DataFormat.ShareGpt => ShareGptRecordParser.Parse(bytes, line, _scratch),
                _ => ChatRecordParser.Parse(bytes, line, _scratch),   // chat, and auto until a record shows its format
            };
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

        var outcome = new RecordOutcome { Line = line };
        if (_scratch.Count > 0)
        {
            outcome.Problems = new List<Problem>(_scratch.Count);
            foreach (var problem in _scratch)
                outcome.Problems.Add(problem.Excerpt is null ? problem with { Excerpt = Excerpts.OfBytes(bytes) } : problem);
            outcome.FirstError = outcome.Problems.Find(static x => x.Severity == Severity.Error);
        }
        if (parsed is null && outcome.FirstError is null)
        {
            // Every parser reports why it returned nothing; this only guards the invariant "no drop without a reason".
            outcome.FirstError = Problem.Error(line, "", ProblemCodes.InvalidJson, "the record could not be read", Excerpts.OfBytes(bytes));
            (outcome.Problems ??= []).Add(outcome.FirstError);
        }
        else if (parsed is { } kept && outcome.FirstError is null)
        {
            outcome.Example = kept.Example;
            if (hashDuplicates) (outcome.Exact, outcome.Normalized) = _hasher.Hash(outcome.Example);
        }
        return outcome;
    }

    /// <summary>A record over the line limit, not parsed.</summary>
    public static RecordOutcome TooLong(long line, long length, int maxLineBytes, string excerpt)
    {
        var error = Problem.Error(line, "", ProblemCodes.LineTooLong,
            $"the line is {length:N0} bytes, over the limit of {maxLineBytes:N0}; it was not parsed", excerpt);
        return new RecordOutcome { Line = line, FirstError = error, Problems = [error] };
    }

    private static Problem? ByteProblem(long line, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IndexOf((byte)0) is var nul and >= 0)
            return Problem.Error(line, "", ProblemCodes.NulByte, $"NUL byte at byte {nul + 1} of the line", Excerpts.OfBytes(bytes, nul));
        if (Utf8.IsValid(bytes)) return null;
        var at = FirstInvalidUtf8(bytes);
        return Problem.Error(line, "", ProblemCodes.InvalidUtf8,
            $"invalid UTF-8 at byte {at + 1} of the line (save the file as UTF-8)", Excerpts.OfBytes(bytes, at));
    }

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
}
