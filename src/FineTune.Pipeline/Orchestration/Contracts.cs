using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Runs;

namespace FineTune.Pipeline.Orchestration;

// The records that cross the orchestration ↔ activity boundary. Durable serializes them into the history, so they
// stay small: data lives in blobs at deterministic paths (JobPaths), and these carry names and counts.

/// <summary>What most activities get: the job's id (the orchestration instance id) and its input.</summary>
public sealed record JobRequest(string JobId, JobInput Input);

public sealed record ValidateResult(bool Usable, string? Reason, long Records, long Examples, long Errors, long Dropped);

/// <summary>The chunks of the job's document, in batches: one synthesis activity per batch.</summary>
public sealed record SynthesisPlan(int Chunks, IReadOnlyList<IReadOnlyList<string>> Batches);

public sealed record SynthesisBatch(string JobId, JobInput Input, IReadOnlyList<string> ChunkIds);

public sealed record SynthesisBatchResult(int Chunks, int Failed, string? FirstError);

public sealed record SynthesisSummary(long Pairs, int Chunks, int FailedChunks);

public sealed record PrepareResult(int TrainExamples, int ValidationExamples, int GeneralExamples);

/// <param name="Verb">"train" or "eval": the `finetune` verb the backend runs.</param>
public sealed record RunRequest(string JobId, JobInput Input, string Verb);

public sealed record RunProgressRequest(string JobId, string Verb, TrainingRun Run);

/// <summary>The evaluator's gate decision: Deploy, AwaitApproval or Fail, with both scores.</summary>
public sealed record GateDecision(string Outcome, string Reason, double? BaseScore, double? TunedScore);

public sealed record DeployResult(string Deployment, string Adapter);

/// <summary>The orchestration's output when it completes.</summary>
public sealed record JobOutput
{
    public bool Deployed { get; init; }
    public string? Deployment { get; init; }
    public string? Adapter { get; init; }
    public double? BaseScore { get; init; }
    public double? TunedScore { get; init; }
    public string? Gate { get; init; }
    public string? GateReason { get; init; }
    /// <summary>Why nothing was deployed ("rejected").</summary>
    public string? Reason { get; init; }
    public long? SynthesizedPairs { get; init; }
    public int? FailedChunks { get; init; }
}
