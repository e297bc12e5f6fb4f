namespace FineTune.Pipeline.Jobs;

/// <summary>One entry of a job's history (shown with ?showHistory=true).</summary>
public sealed record HistoryEvent(string EventType, DateTimeOffset Timestamp, string? Stage = null, string? Detail = null);
