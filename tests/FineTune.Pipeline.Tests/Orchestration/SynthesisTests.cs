using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using Microsoft.DurableTask.Client;

namespace FineTune.Pipeline.Tests.Orchestration;

/// <summary>Documents: synthesis fans out one activity per chunk batch; a batch that keeps failing costs only its chunks.</summary>
public sealed class SynthesisTests(PipelineFixture pipeline) : IClassFixture<PipelineFixture>
{
    [Fact]
    public async Task Document_OneChunkAlwaysRefused_CompletesWithTheOtherChunksAndCountsTheFailure()
    {
        var folder = PipelineFixture.NewFolder("partial");
        var (id, _) = await pipeline.StartAsync(folder + "manual.txt", Documents.Manual(4, poisoned: 1), PipelineFixture.Manifest());

        var done = await pipeline.WaitForEndAsync(id, 90);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Completed, done);
        var output = PipelineFixture.Output(done);
        Assert.True(output.Deployed);
        Assert.NotNull(output.FailedChunks);
        Assert.InRange(output.FailedChunks.Value, 1, 2); // the marker's chunk (and the next, if it fell in the overlap)
        Assert.True(output.SynthesizedPairs > 0);

        var report = JsonNode.Parse((await pipeline.Blobs.ReadTextAsync(Containers.Jobs, JobPaths.SynthesisReport(id)))!)!;
        var chunks = report["chunks"]!;
        var total = chunks["total"]!.GetValue<int>();
        Assert.True(total >= 4, $"only {total} chunks");
        Assert.Equal(output.FailedChunks, chunks["failed"]!.GetValue<int>());
        Assert.Equal(output.SynthesizedPairs, report["pairs"]!["kept"]!.GetValue<long>());
        var synthetic = (await pipeline.Blobs.ReadTextAsync(Containers.Datasets, JobPaths.SyntheticData(id)))!;
        Assert.DoesNotContain(EchoLlm.PoisonMarker, synthetic);
        Assert.Equal(output.SynthesizedPairs, synthetic.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains(PipelineFixture.SystemPrompt, synthetic);
        Assert.True(await pipeline.ExistsAsync(Containers.Datasets, JobPaths.SyntheticSources(id)));

        // The refused chunk was asked once per attempt of its batch (Pipeline:ActivityMaxAttempts = 2), never more: the
        // client does not retry a 400, and the stored results of the good chunks are not asked again.
        var asked = pipeline.Llm.Answered.Where(a => a.Request.Prompt.Contains("according to rule", StringComparison.Ordinal)).ToList();
        Assert.Equal(2 * output.FailedChunks.Value, asked.Count(a => a.Status == 400));
        Assert.Equal(total - output.FailedChunks.Value, asked.Count(a => a.Status == 200));
        Assert.Equal(["train", "eval"], pipeline.Backend.CallsOf(id).Where(c => c.Kind == "started").Select(c => c.Verb));
    }

    [Fact]
    public async Task Document_EveryChunkRefused_FailsWithNoUsablePairs()
    {
        var folder = PipelineFixture.NewFolder("all-fail");
        var text = EchoLlm.PoisonMarker + " applies to this whole short manual. The pump in the yard needs grease every week.\n";
        var (id, _) = await pipeline.StartAsync(folder + "manual.md", text, PipelineFixture.Manifest());

        var done = await pipeline.WaitForEndAsync(id, 90);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Failed, done);
        Assert.Contains("no usable Q&A pairs", done.FailureDetails!.ErrorMessage);
        Assert.Contains("1 of 1 chunks failed", done.FailureDetails.ErrorMessage);
        var progress = PipelineFixture.Progress(done);
        Assert.Equal("synthesize", progress.Stage);
        Assert.Equal(JobPaths.SynthesisReportFile, progress.Report);
        Assert.True(await pipeline.ExistsAsync(Containers.Jobs, JobPaths.SynthesisReport(id)));
        Assert.Empty(pipeline.Backend.CallsOf(id));
    }
}
