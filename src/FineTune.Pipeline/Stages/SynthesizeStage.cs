using FineTune.Pipeline.Jobs;

namespace FineTune.Pipeline.Stages;

/// <summary>
/// Documents (PDF/TXT/MD/DOCX) → synthetic Q&amp;A chat data at datasets/{id}/synthetic.jsonl. FineTune.Synthesis does
/// the work; until its generator is wired here, the stage fails saying so rather than pretending.
/// </summary>
public sealed class SynthesizeStage : IJobStage
{
    public const string NotAvailable = "synthesis not available: the pipeline has no Q&A generator wired yet (FineTune.Synthesis); upload chat, alpaca or sharegpt data instead";

    public JobStage Stage => JobStage.Synthesize;

    public Task<StageOutcome> RunAsync(StageContext context, CancellationToken ct) =>
        Task.FromResult<StageOutcome>(new StageOutcome.Failed(NotAvailable));
}
