using System.Text;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace FineTune.Pipeline.Tests.Orchestration;

/// <summary>One job per blob version, whichever trigger starts it and however often.</summary>
public sealed class StartTests(PipelineFixture pipeline) : IClassFixture<PipelineFixture>
{
    [Fact]
    public async Task SameVersionStartedTwice_IsOneJob()
    {
        var folder = PipelineFixture.NewFolder("twice");
        var (id, blob) = await pipeline.StartAsync(folder + "chat.jsonl", ChatData.Valid(), PipelineFixture.Manifest());

        var again = await pipeline.Starter.StartAsync(Containers.Uploads, folder + "chat.jsonl", blob.ETag);
        Assert.Equal(new JobStartResult(id, false), again);
        Assert.True(await pipeline.Starter.HasReceiptAsync(id, default));
        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Completed, done);
        Assert.Equal(new JobStartResult(id, false), await pipeline.Starter.StartAsync(Containers.Uploads, folder + "chat.jsonl", blob.BareETag));
        Assert.Single(pipeline.Backend.CallsOf(id), c => c.Kind == "started" && c.Verb == "train");
    }

    [Fact]
    public async Task SameVersionStartedConcurrently_IsOneJob()
    {
        var folder = PipelineFixture.NewFolder("race");
        await pipeline.Blobs.UploadTextAsync(Containers.Uploads, folder + "chat.job.json", PipelineFixture.Manifest());
        var blob = await pipeline.Blobs.UploadBytesAsync(Containers.Uploads, folder + "chat.jsonl", Encoding.UTF8.GetBytes(ChatData.Valid()));

        var starts = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => pipeline.Starter.StartAsync(Containers.Uploads, folder + "chat.jsonl", blob.ETag))));
        Assert.All(starts, s => Assert.Equal(JobPaths.IdFor(Containers.Uploads, folder + "chat.jsonl", blob.ETag), s!.JobId));
        Assert.Single(starts, s => s!.Created);
        var id = starts[0]!.JobId;
        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Completed, done);
        Assert.Single(pipeline.Backend.CallsOf(id), c => c.Kind == "started" && c.Verb == "train");
    }

    [Fact]
    public async Task NewVersionOfTheSameBlob_IsANewJob()
    {
        var folder = PipelineFixture.NewFolder("versions");
        var (first, _) = await pipeline.StartAsync(folder + "chat.jsonl", ChatData.Valid(12), PipelineFixture.Manifest());
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Completed, await pipeline.WaitForEndAsync(first));
        var (second, _) = await pipeline.StartAsync(folder + "chat.jsonl", ChatData.Valid(14), null);
        Assert.NotEqual(first, second);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Completed, await pipeline.WaitForEndAsync(second));
    }

    [Fact]
    public async Task BlobOverwrittenBeforeValidate_TheOldVersionsJobFailsSayingSo()
    {
        var folder = PipelineFixture.NewFolder("overwritten");
        await pipeline.Blobs.UploadTextAsync(Containers.Uploads, folder + "chat.job.json", PipelineFixture.Manifest());
        var old = await pipeline.Blobs.UploadBytesAsync(Containers.Uploads, folder + "chat.jsonl", Encoding.UTF8.GetBytes(ChatData.Valid(12)));
        await pipeline.Blobs.UploadBytesAsync(Containers.Uploads, folder + "chat.jsonl", Encoding.UTF8.GetBytes(ChatData.Valid(14)));
        var started = await pipeline.Starter.StartAsync(Containers.Uploads, folder + "chat.jsonl", old.ETag);

        var done = await pipeline.WaitForEndAsync(started!.JobId);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Failed, done);
        Assert.Contains("changed after this job started", done.FailureDetails!.ErrorMessage);
        Assert.Empty(pipeline.Backend.CallsOf(started.JobId));
    }

    [Fact]
    public async Task NotAJobInput_StartsNothing()
    {
        Assert.Null(await pipeline.Starter.StartAsync(Containers.Uploads, "x/settings.job.json", "0x1"));
        Assert.Null(await pipeline.Starter.StartAsync(Containers.Uploads, "x/picture.png", "0x1"));
    }

    [Fact]
    public async Task ScheduledDirectly_WithARejectedInput_FailsAtOnceWithTheReason()
    {
        var id = "direct-" + Guid.NewGuid().ToString("N")[..12];
        var input = new JobInput(new SourceBlob(Containers.Uploads, "bad\u0001name.jsonl", "v1"), new JobManifest(), JobKind.Data,
            Rejected: "the file name holds a control character");
        await pipeline.Client.ScheduleNewOrchestrationInstanceAsync(nameof(FineTuneOrchestrator), input, new StartOrchestrationOptions(id));

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Failed, done);
        Assert.Equal("the file name holds a control character", done.FailureDetails!.ErrorMessage);
        Assert.Equal("validate", PipelineFixture.Progress(done).Stage);
    }
}
