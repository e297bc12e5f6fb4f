namespace FineTune.Pipeline.Orchestration;

/// <summary>
/// The orchestration's custom status: small (Durable caps it near 16 KB), and only what a poller or the console shows.
/// Null fields are left out of the JSON.
/// </summary>
public sealed record JobProgress
{
    public required string Stage { get; init; }
    public double Progress { get; init; }
    public long? Step { get; init; }
    public double? Loss { get; init; }
    public int? Epoch { get; init; }
    public string? Message { get; init; }
    /// <summary>"approve" while the gate waits for approve or reject.</summary>
    public string? WaitingFor { get; init; }
    public long? Examples { get; init; }
    public long? Errors { get; init; }
    public long? Dropped { get; init; }
    public long? Pairs { get; init; }
    public int? Chunks { get; init; }
    public int? FailedChunks { get; init; }
    public int? TrainExamples { get; init; }
    public int? ValidationExamples { get; init; }
    public double? BaseScore { get; init; }
    public double? TunedScore { get; init; }
    public string? Gate { get; init; }
    public string? GateReason { get; init; }
    /// <summary>Why the job failed (also the orchestration's failure message).</summary>
    public string? Error { get; init; }
    /// <summary>A job artifact to read about the failure, relative to /api/jobs/{id}/files/.</summary>
    public string? Report { get; init; }
    /// <summary>When each stage started and ended so far (the job's timeline; at most one entry per stage).</summary>
    public IReadOnlyList<StageTime>? Stages { get; init; }
}

/// <param name="Waited">The gate: when it started waiting for approve or reject.</param>
/// <param name="Decision">The gate: "approve" or "reject", when one came.</param>
public sealed record StageTime(string Stage, DateTime Started, DateTime? Completed = null, DateTime? Waited = null, string? Decision = null);
