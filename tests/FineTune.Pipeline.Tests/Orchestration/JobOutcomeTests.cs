using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using Microsoft.DurableTask.Client;

namespace FineTune.Pipeline.Tests.Orchestration;

/// <summary>A job end to end: success, invalid data, invalid manifests.</summary>
public sealed class JobOutcomeTests(PipelineFixture pipeline) : IClassFixture<PipelineFixture>
{
    [Fact]
    public async Task ChatData_WithManifest_TrainsEvaluatesAndDeploys()
    {
        var folder = PipelineFixture.NewFolder("success");
        var (id, _) = await pipeline.StartAsync(folder + "chat.jsonl", ChatData.Valid(12),
            PipelineFixture.Manifest("\"deploymentName\":\"" + folder.TrimEnd('/') + "\",\"systemPrompt\":\"Be brief.\""));

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Completed, done);
        var output = PipelineFixture.Output(done);
        Assert.True(output.Deployed);
        Assert.Equal(folder.TrimEnd('/'), output.Deployment);
        Assert.Equal($"adapters/{id}/", output.Adapter);
        Assert.Equal("Deploy", output.Gate);
        Assert.Equal(0.1, output.BaseScore);
        Assert.Equal(0.5, output.TunedScore);
        Assert.Null(output.Reason);
        Assert.Null(output.SynthesizedPairs);
        var progress = PipelineFixture.Progress(done);
        Assert.Equal("deploy", progress.Stage);
        Assert.Equal(1, progress.Progress);
        Assert.Null(progress.Error);

        var deployment = await pipeline.Blobs.ReadTextAsync(Containers.Deployments, folder.TrimEnd('/') + ".json");
        Assert.NotNull(deployment);
        Assert.Contains($"\"jobId\": \"{id}\"", deployment);
        Assert.Contains("\"baseModel\": \"models/tiny\"", deployment);
        Assert.Contains("\"tunedScore\": 0.5", deployment);
        foreach (var (container, name) in new[]
                 {
                     (Containers.Jobs, JobPaths.ValidationReport(id)), (Containers.Datasets, JobPaths.ValidatedData(id)),
                     (Containers.Datasets, JobPaths.TrainData(id)), (Containers.Datasets, JobPaths.ValidationData(id)),
                     (Containers.Jobs, JobPaths.PrepareSummary(id)), (Containers.Jobs, JobPaths.TrainSpec(id)),
                     (Containers.Jobs, JobPaths.EvaluateSpec(id)), (Containers.Jobs, JobPaths.RunRecord(id, "train")),
                     (Containers.Jobs, JobPaths.RunRecord(id, "eval")), (Containers.Jobs, JobPaths.Receipt(id)),
                     (Containers.Adapters, $"{id}/adapter_model.safetensors"),
                 })
            Assert.True(await pipeline.ExistsAsync(container, name), $"{container}/{name} was not written");
        var train = (await pipeline.Blobs.ReadTextAsync(Containers.Datasets, JobPaths.TrainData(id)))!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var val = (await pipeline.Blobs.ReadTextAsync(Containers.Datasets, JobPaths.ValidationData(id)))!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(12, train.Length + val.Length);
        Assert.Single(val); // 10 % of 12, rounded
        Assert.All(train, line => Assert.Contains("\"Be brief.\"", line));

        var calls = pipeline.Backend.CallsOf(id);
        Assert.Equal(["train", "eval"], calls.Where(c => c.Kind == "started").Select(c => c.Verb));
        Assert.Contains(calls, c => c.Kind == "poll" && c.Verb == "train");
        Assert.DoesNotContain(calls, c => c.Kind == "cancel");
        // The work folder of the job is gone.
        Assert.False(Directory.Exists(Activities.WorkFolder.For(pipeline.WorkDirectory, id)));
    }

    [Fact]
    public async Task InvalidData_Strict_FailsAtValidateWithLineNumbers_AndTrainsNothing()
    {
        var folder = PipelineFixture.NewFolder("invalid");
        var (id, _) = await pipeline.StartAsync(folder + "chat.jsonl", ChatData.WithTwoInvalidLines(12), PipelineFixture.Manifest());

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Failed, done);
        var message = done.FailureDetails!.ErrorMessage;
        Assert.Contains("line 3", message);
        Assert.Contains("line 6", message);
        Assert.Contains("invalidLines", message);
        var progress = PipelineFixture.Progress(done);
        Assert.Equal("validate", progress.Stage);
        Assert.Equal(message, progress.Error);
        Assert.Equal(JobPaths.ValidationReportFile, progress.Report);
        Assert.True(await pipeline.ExistsAsync(Containers.Jobs, JobPaths.ValidationReport(id)));
        Assert.False(await pipeline.ExistsAsync(Containers.Datasets, JobPaths.TrainData(id)));
        Assert.Empty(pipeline.Backend.CallsOf(id));
    }

    [Fact]
    public async Task InvalidData_DropMode_TrainsOnTheValidLines()
    {
        var folder = PipelineFixture.NewFolder("drop");
        var (id, _) = await pipeline.StartAsync(folder + "chat.jsonl", ChatData.WithTwoInvalidLines(12), PipelineFixture.Manifest("\"invalidLines\":\"drop\""));

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Completed, done);
        Assert.True(PipelineFixture.Output(done).Deployed);
        var train = (await pipeline.Blobs.ReadTextAsync(Containers.Datasets, JobPaths.TrainData(id)))!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var val = (await pipeline.Blobs.ReadTextAsync(Containers.Datasets, JobPaths.ValidationData(id)))!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(10, train.Length + val.Length);
    }

    [Fact]
    public async Task Manifest_WithUnknownField_FailsAtOnceNamingIt()
    {
        var folder = PipelineFixture.NewFolder("typo");
        var (id, _) = await pipeline.StartAsync(folder + "chat.jsonl", ChatData.Valid(), PipelineFixture.Manifest("\"requireAproval\":true"));

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Failed, done);
        Assert.Contains("requireAproval", done.FailureDetails!.ErrorMessage);
        Assert.Contains($"uploads/{folder}chat.job.json", done.FailureDetails.ErrorMessage);
        Assert.Equal("validate", PipelineFixture.Progress(done).Stage);
        Assert.False(await pipeline.ExistsAsync(Containers.Jobs, JobPaths.ValidationReport(id)));
        Assert.Empty(pipeline.Backend.CallsOf(id));
    }

    [Fact]
    public async Task Manifest_WithSeveralProblems_FailsAtOnceNamingEach()
    {
        var folder = PipelineFixture.NewFolder("bad-manifest");
        var (id, _) = await pipeline.StartAsync(folder + "chat.jsonl", ChatData.Valid(),
            """{"hyperparameters":{"learning_rate":5},"validationFraction":1.5,"onGateFail":"maybe"}""");

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Failed, done);
        var message = done.FailureDetails!.ErrorMessage;
        Assert.Contains("is invalid", message);
        Assert.Contains("baseModel is required", message);
        Assert.Contains("validationFraction", message);
        Assert.Contains("onGateFail", message);
        Assert.Contains("learning", message, StringComparison.OrdinalIgnoreCase);
        var progress = PipelineFixture.Progress(done);
        Assert.Equal("validate", progress.Stage);
        Assert.Equal(message, progress.Error);
        Assert.Empty(pipeline.Backend.CallsOf(id));
    }

    [Fact]
    public async Task Manifest_NamingAMissingModel_FailsAtOnce()
    {
        var folder = PipelineFixture.NewFolder("no-model");
        var (id, _) = await pipeline.StartAsync(folder + "chat.jsonl", ChatData.Valid(), """{"baseModel":"models/absent"}""");

        var done = await pipeline.WaitForEndAsync(id);
        PipelineFixture.AssertStatus(OrchestrationRuntimeStatus.Failed, done);
        Assert.Contains("baseModel \"models/absent\" has no config.json in storage", done.FailureDetails!.ErrorMessage);
        Assert.Empty(pipeline.Backend.CallsOf(id));
    }
}
