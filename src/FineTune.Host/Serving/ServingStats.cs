namespace FineTune.Host.Serving;

/// <summary>What the generation worker has done since start-up.</summary>
public sealed record ServingStats(long Batches, long Sequences, long CompletionTokens, long AdapterLoads, long AdapterEvictions, int AdaptersLoaded, int Queued);
