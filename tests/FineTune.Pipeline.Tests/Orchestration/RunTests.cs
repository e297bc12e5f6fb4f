using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace FineTune.Pipeline.Tests.Orchestration;

/// <summary>Training and evaluation on the backend: failure, terminate, transient and permanent activity faults, lost runs.</summary>
public sealed class RunTests(PipelineFixture pipeline) : IClassFixture<PipelineFixture>
{
    private async Task<string> StartAsync(string test, FakeTrainingBackend.Script script)
    {
        var folder = PipelineFixture.NewFolder(test);
        var (id, _) = await pipeline.StartAsync(folder + "chat.jsonl", ChatData.Valid(), PipelineFixture.Manifest(), script);
        return id;
    }

    [Fact]
    public async Task TrainerFails_JobFailsAtTrainWithTheBackendsMessage()
    {
        var id = await StartAsync("trainer-fails", new FakeTrainingBackend.Script { TrainFailure = "CUDA out of memory at step 3" });

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Failed, done);
        Assert.Equal("train failed on the fake backend: CUDA out of memory at step 3", done.FailureDetails!.ErrorMessage);
        var progress = PipelineFixture.Progress(done);
        Assert.Equal("train", progress.Stage);
        Assert.Equal(done.FailureDetails.ErrorMessage, progress.Error);
        Assert.DoesNotContain(pipeline.Backend.CallsOf(id), c => c.Verb == "eval");
        Assert.False(await pipeline.ExistsAsync(Containers.Deployments, JobPaths.DefaultDeploymentName(id) + ".json"));
    }

    [Fact]
    public async Task TerminateMidTraining_EndsTerminated_AndCancelsTheRun()
    {
        var id = await StartAsync("terminate", new FakeTrainingBackend.Script { HoldTraining = true });
        await pipeline.WaitForProgressAsync(id, p => p.Stage == "train" && p.Step is not null);

        Assert.Equal(JobControl.Result.Done, await pipeline.Control.TerminateAsync(id, "changed my mind", default));
        var done = await pipeline.WaitForEndAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
        var calls = pipeline.Backend.CallsOf(id);
        var run = Assert.Single(calls, c => c.Kind == "started");
        Assert.Equal("train", run.Verb);
        var cancel = Assert.Single(calls, c => c.Kind == "cancel");
        Assert.Equal(run.RunId, cancel.RunId);
        Assert.Equal(JobControl.Result.NotRunning, await pipeline.Control.TerminateAsync(id, null, default));
        Assert.Equal(JobControl.Result.NotRunning, await pipeline.Control.RaiseEventAsync(id, "approve", default));
    }

    [Fact]
    public async Task TransientStartFault_IsRetried_AndTheJobCompletes()
    {
        var id = await StartAsync("transient", new FakeTrainingBackend.Script { TransientStartFaults = 1 });

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Completed, done);
        Assert.True(PipelineFixture.Output(done).Deployed);
        var calls = pipeline.Backend.CallsOf(id);
        Assert.Equal(2, calls.Count(c => c.Kind == "start" && c.Verb == "train"));
        Assert.Single(calls, c => c.Kind == "started" && c.Verb == "train");
    }

    [Fact]
    public async Task TransientStartFault_EveryAttempt_FailsAfterTheConfiguredAttempts()
    {
        var id = await StartAsync("transient-always", new FakeTrainingBackend.Script { TransientStartFaults = 100 });

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Failed, done);
        Assert.StartsWith("train failed after 2 attempts:", done.FailureDetails!.ErrorMessage);
        Assert.Contains("briefly unreachable", done.FailureDetails.ErrorMessage);
        Assert.Equal(2, pipeline.Backend.CallsOf(id).Count(c => c.Kind == "start"));
        // Each failed attempt was logged by the worker with the exception itself, so its stack trace is kept.
        var logged = pipeline.Logs.Entries.Where(e => e.Category.EndsWith(".StartRunActivity", StringComparison.Ordinal) && e.Message.Contains(id)).ToList();
        Assert.Equal(2, logged.Count);
        Assert.All(logged, e =>
        {
            Assert.Equal(LogLevel.Error, e.Level);
            var fault = Assert.IsType<HttpRequestException>(e.Exception);
            Assert.Contains(nameof(FakeTrainingBackend.StartAsync), fault.StackTrace);
        });
    }

    [Fact]
    public async Task PermanentFault_IsNotRetried_AndFailsWithItsMessage()
    {
        var id = await StartAsync("permanent", new FakeTrainingBackend.Script { PermanentStartFault = "no GPU quota in this region" });

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Failed, done);
        Assert.Equal("no GPU quota in this region", done.FailureDetails!.ErrorMessage);
        Assert.Equal("train", PipelineFixture.Progress(done).Stage);
        Assert.Single(pipeline.Backend.CallsOf(id), c => c.Kind == "start");
        // A refusal the job reports to its user is a warning with its message, not an error with a stack.
        var logged = Assert.Single(pipeline.Logs.Entries, e => e.Category.EndsWith(".StartRunActivity", StringComparison.Ordinal) && e.Message.Contains(id));
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Contains("no GPU quota in this region", logged.Message);
    }

    [Fact]
    public async Task LostRun_IsStartedAgain_AndTheJobCompletes()
    {
        var id = await StartAsync("lost", new FakeTrainingBackend.Script { LoseFirstTrainRun = true });

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Completed, done);
        Assert.True(PipelineFixture.Output(done).Deployed);
        var trainRuns = pipeline.Backend.CallsOf(id).Where(c => c.Kind == "started" && c.Verb == "train").Select(c => c.RunId).ToList();
        Assert.Equal(2, trainRuns.Count);
        Assert.NotEqual(trainRuns[0], trainRuns[1]);
        Assert.Contains(trainRuns[1], (await pipeline.Blobs.ReadTextAsync(Containers.Jobs, JobPaths.RunRecord(id, "train")))!);
    }
}
