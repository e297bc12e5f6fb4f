using System.Text.Json;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Synthesis;
using Microsoft.DurableTask;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// The fan-in: writes datasets/{id}/synthetic.jsonl (+ .sources.jsonl: the source file and pages of each pair) from the
/// stored chunk results alone, asking the model nothing, then jobs/{id}/synthesize/report.json last (the done marker).
/// </summary>
public sealed class AssembleSynthesisActivity(SynthesisRunner runner) : TaskActivity<JobRequest, SynthesisSummary>
{
    public override async Task<SynthesisSummary> RunAsync(TaskActivityContext context, JobRequest job)
    {
        var blobs = runner.Storage.Blobs;
        if (await blobs.ReadBytesAsync(Containers.Jobs, JobPaths.SynthesisReport(job.JobId)) is { } stored)
            return Summary(JsonSerializer.Deserialize<SynthesisReport>(stored.Bytes, SynthesisRunner.Json)!);
        return await runner.WithDocumentAsync(job, "assemble", async (synthesizer, document) =>
        {
            var output = Path.Combine(Path.GetDirectoryName(document)!, "synthetic.jsonl");
            var report = await synthesizer.AssembleAsync([document], output, CancellationToken.None);
            await using (var stream = File.OpenRead(output))
                await blobs.UploadAsync(Containers.Datasets, JobPaths.SyntheticData(job.JobId), stream);
            await using (var stream = File.OpenRead(Synthesizer.SourcesPathFor(output)))
                await blobs.UploadAsync(Containers.Datasets, JobPaths.SyntheticSources(job.JobId), stream);
            await blobs.UploadTextAsync(Containers.Jobs, JobPaths.SynthesisReport(job.JobId), await File.ReadAllTextAsync(Synthesizer.ReportPathFor(output)));
            return Summary(report);
        });
    }

    private static SynthesisSummary Summary(SynthesisReport report) => new(report.Pairs.Kept, report.Chunks.Total, report.Chunks.Failed);
}
