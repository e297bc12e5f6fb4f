using FineTune.Pipeline.Orchestration;
using FineTune.Synthesis;
using Microsoft.DurableTask;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// Generates Q&amp;A for one batch of chunks (the fan-out unit), storing each chunk's result as it completes; chunks already
/// stored are skipped. If any chunk failed the activity throws, so Durable retries it and only the failed chunks are asked again.
/// </summary>
public sealed class SynthesizeBatchActivity(SynthesisRunner runner) : TaskActivity<SynthesisBatch, SynthesisBatchResult>
{
    public override async Task<SynthesisBatchResult> RunAsync(TaskActivityContext context, SynthesisBatch batch)
    {
        var wanted = batch.ChunkIds.ToHashSet(StringComparer.Ordinal);
        var chunks = (await PlanSynthesisActivity.ReadPlanAsync(runner.Storage, batch.JobId)).Where(c => wanted.Contains(c.Id)).ToList();
        // The document itself is not needed to generate: chunks carry their text.
        var failures = await runner.WithDocumentAsync(new JobRequest(batch.JobId, batch.Input), "synthesize",
            (synthesizer, _) => synthesizer.GenerateMissingAsync(chunks, CancellationToken.None));
        if (failures.Count > 0)
            throw new SynthesisBatchException($"{failures.Count} of {chunks.Count} chunks failed (first: {failures[0].Pages}: {failures[0].Error})");
        return new SynthesisBatchResult(chunks.Count, 0, null);
    }
}

/// <summary>Some chunks of a batch failed after the client's own retries: transient, so the activity is retried.</summary>
public sealed class SynthesisBatchException(string message) : Exception(message);
