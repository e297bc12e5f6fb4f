namespace FineTune.Data;

/// <summary>
/// What <see cref="DatasetValidator"/> found. Counts are exact; <see cref="Problems"/> and
/// <see cref="Dropped"/> hold at most <see cref="ValidationOptions.MaxReportedProblems"/> items
/// (<see cref="Truncated"/> says when more were found).
/// </summary>
public sealed record ValidationReport
{
    /// <summary>SHA-256 of the input bytes, lowercase hex: the dataset's content address.</summary>
    public required string Sha256 { get; init; }
    public required long Bytes { get; init; }
    /// <summary>The format used (the detected one in auto mode).</summary>
    public required DataFormat Format { get; init; }
    /// <summary>"jsonl" or "json_array".</summary>
    public required string Layout { get; init; }
    public required ValidationMode Mode { get; init; }
    /// <summary>True when training can use the file: at least one valid example, and in strict mode no error.</summary>
    public required bool Usable { get; init; }
    public required long Lines { get; init; }
    public required long BlankLines { get; init; }
    /// <summary>Records seen (non-blank lines, or array elements).</summary>
    public required long Records { get; init; }
    public required long ValidExamples { get; init; }
    public required long DroppedExamples { get; init; }
    public required long Errors { get; init; }
    public required long Warnings { get; init; }
    public required IReadOnlyDictionary<string, long> CountsByCode { get; init; }
    public required DatasetStatistics Statistics { get; init; }
    public required IReadOnlyList<Problem> Problems { get; init; }
    public required IReadOnlyList<DroppedLine> Dropped { get; init; }
    public required bool Truncated { get; init; }
}
