using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using Microsoft.DurableTask.Client;

namespace FineTune.Pipeline.Tests.Orchestration;

/// <summary>The deployment gate: approve, reject, timeout, events at the wrong time, and the evaluator's own verdicts.</summary>
public sealed class GateTests(PipelineFixture pipeline) : IClassFixture<PipelineFixture>
{
    private async Task<string> StartWaitingJobAsync(string test, string manifestExtra = "\"requireApproval\":true", FakeTrainingBackend.Script? script = null)
    {
        var folder = PipelineFixture.NewFolder(test);
        var (id, _) = await pipeline.StartAsync(folder + "chat.jsonl", ChatData.Valid(), PipelineFixture.Manifest(manifestExtra), script);
        return id;
    }

    private Task<(OrchestrationMetadata Instance, JobProgress Progress)> WaitAtGateAsync(string id) =>
        pipeline.WaitForProgressAsync(id, p => p.WaitingFor == FineTuneOrchestrator.Approve);

    [Fact]
    public async Task RequireApproval_WaitsThenApprove_Deploys()
    {
        var id = await StartWaitingJobAsync("approve");
        var (waiting, progress) = await WaitAtGateAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Running, waiting.RuntimeStatus);
        Assert.Equal("gate", progress.Stage);
        Assert.Equal(0.5, progress.TunedScore);
        Assert.Contains("approve", progress.Message);
        Assert.Empty(await pipeline.Blobs.ListAsync(Containers.Deployments, JobPaths.DefaultDeploymentName(id)).ToListAsync());

        Assert.Equal(JobControl.Result.Done, await pipeline.Control.RaiseEventAsync(id, "Approve", default));
        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Completed, done);
        var output = PipelineFixture.Output(done);
        Assert.True(output.Deployed);
        Assert.EndsWith("; approved", output.GateReason);
        Assert.Equal(JobPaths.DefaultDeploymentName(id), output.Deployment);
        Assert.True(await pipeline.ExistsAsync(Containers.Deployments, JobPaths.DefaultDeploymentName(id) + ".json"));
        Assert.Null(PipelineFixture.Progress(done).WaitingFor);
        Assert.Equal(JobControl.Result.NotRunning, await pipeline.Control.RaiseEventAsync(id, "approve", default));
    }

    [Fact]
    public async Task RequireApproval_Reject_CompletesWithoutDeploying()
    {
        var id = await StartWaitingJobAsync("reject");
        await WaitAtGateAsync(id);
        Assert.Equal(JobControl.Result.Done, await pipeline.Control.RaiseEventAsync(id, "reject", default));

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Completed, done);
        var output = PipelineFixture.Output(done);
        Assert.False(output.Deployed);
        Assert.Equal("rejected", output.Reason);
        Assert.Null(output.Deployment);
        Assert.False(await pipeline.ExistsAsync(Containers.Deployments, JobPaths.DefaultDeploymentName(id) + ".json"));
    }

    [Fact]
    public async Task RequireApproval_NoAnswer_FailsAfterTheApprovalTimeout()
    {
        var id = await StartWaitingJobAsync("timeout", "\"requireApproval\":true,\"approvalTimeoutHours\":0.0005"); // 1.8 s
        await WaitAtGateAsync(id);

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Failed, done);
        Assert.Contains("approvalTimeoutHours", done.FailureDetails!.ErrorMessage);
        var progress = PipelineFixture.Progress(done);
        Assert.Equal("gate", progress.Stage);
        Assert.Null(progress.WaitingFor);
        Assert.Equal(done.FailureDetails.ErrorMessage, progress.Error);
        Assert.False(await pipeline.ExistsAsync(Containers.Deployments, JobPaths.DefaultDeploymentName(id) + ".json"));
    }

    [Fact]
    public async Task ApproveDuringTraining_IsRefused_AndTheJobStillWaitsAtTheGate()
    {
        var script = new FakeTrainingBackend.Script { HoldTraining = true };
        var id = await StartWaitingJobAsync("early-approve", script: script);
        // Training is running, and its progress comes from the metrics blob the trainer writes.
        var (_, training) = await pipeline.WaitForProgressAsync(id, p => p.Stage == "train" && p.Step is not null);
        Assert.Equal(2, training.Step);
        Assert.Equal(2.25, training.Loss);

        Assert.Equal(JobControl.Result.NotWaiting, await pipeline.Control.RaiseEventAsync(id, "approve", default));
        script.Release();
        await WaitAtGateAsync(id);
        var still = await pipeline.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Running, still!.RuntimeStatus);
        Assert.Equal(FineTuneOrchestrator.Approve, PipelineFixture.Progress(still).WaitingFor);
        Assert.False(await pipeline.ExistsAsync(Containers.Deployments, JobPaths.DefaultDeploymentName(id) + ".json"));

        // Durable delivers a job's events in order, and the gate races approve against reject: an approve buffered while
        // training ran would be taken first here and deploy. The reject winning proves none was.
        Assert.Equal(JobControl.Result.Done, await pipeline.Control.RaiseEventAsync(id, "reject", default));
        var done = await pipeline.WaitForEndAsync(id);
        Assert.Equal("rejected", PipelineFixture.Output(done).Reason);
        Assert.False(await pipeline.ExistsAsync(Containers.Deployments, JobPaths.DefaultDeploymentName(id) + ".json"));
    }

    [Fact]
    public async Task Events_UnknownNameOrJob_AreRefused()
    {
        Assert.Equal(JobControl.Result.UnknownEvent, await pipeline.Control.RaiseEventAsync("whatever", "deploy-now", default));
        Assert.Equal(JobControl.Result.NotFound, await pipeline.Control.RaiseEventAsync("no-such-job", "approve", default));
        Assert.Equal(JobControl.Result.NotFound, await pipeline.Control.TerminateAsync("no-such-job", null, default));
    }

    [Fact]
    public async Task EvaluatorSaysAwaitApproval_WaitsEvenWithoutRequireApproval()
    {
        var id = await StartWaitingJobAsync("await", "\"requireApproval\":false",
            new FakeTrainingBackend.Script { GateOutcome = "AwaitApproval", GateReason = "tuned 0.50 < base 0.60" });
        var (_, progress) = await WaitAtGateAsync(id);
        Assert.Equal("AwaitApproval", progress.Gate);
        Assert.Equal(JobControl.Result.Done, await pipeline.Control.RaiseEventAsync(id, "approve", default));
        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Completed, done);
        Assert.True(PipelineFixture.Output(done).Deployed);
    }

    [Fact]
    public async Task EvaluatorSaysFail_FailsAtTheGateWithItsReason()
    {
        var id = await StartWaitingJobAsync("gate-fail", "\"onGateFail\":\"fail\"",
            new FakeTrainingBackend.Script { GateOutcome = "Fail", GateReason = "tuned 0.05 < base 0.10 + 0.02" });
        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Failed, done);
        Assert.Equal("tuned 0.05 < base 0.10 + 0.02", done.FailureDetails!.ErrorMessage);
        var progress = PipelineFixture.Progress(done);
        Assert.Equal("gate", progress.Stage);
        Assert.Equal(0.1, progress.BaseScore);
        Assert.False(await pipeline.ExistsAsync(Containers.Deployments, JobPaths.DefaultDeploymentName(id) + ".json"));
    }
}
