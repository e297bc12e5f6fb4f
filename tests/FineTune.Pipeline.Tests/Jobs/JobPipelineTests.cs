using System.Text.Json;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Training;
using FineTune.Tests.Support;

namespace FineTune.Pipeline.Tests.Jobs;

/// <summary>The job state machine end to end on the embedded store: drop a blob, watch the job.</summary>
public sealed class JobPipelineTests : IAsyncLifetime
{
    private readonly string _dir = RepoPaths.NewTempDirectory("jobs");
    private PipelineHost _host = null!;

    public async Task InitializeAsync() => _host = await PipelineHost.StartAsync(StorageAccount.FromDirectory(_dir));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private IBlobStore Blobs => _host.Storage.Blobs;

    [Fact]
    public async Task ValidChatFile_Dropped_ValidatesPreparesAndFailsAtTrainWithoutBackend()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "uploads", "chat.jsonl"), ChatData.Valid(20));
        var id = await _host.JobIdOfUploadAsync("chat.jsonl");
        var job = await _host.WaitForAsync(id);

        Assert.Equal(RuntimeStatus.Failed, job.RuntimeStatus);
        Assert.Equal(JobStage.Train, job.Stage);
        Assert.Contains("no training backend configured", job.Output!["error"]!.GetValue<string>());
        var train = (await Blobs.ReadTextAsync(Containers.Datasets, JobPaths.TrainData(id)))!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var val = (await Blobs.ReadTextAsync(Containers.Datasets, JobPaths.ValidationData(id)))!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(18, train.Length);
        Assert.Equal(2, val.Length);
        Assert.Single(job.History, e => e.EventType == "ExecutionFailed");
    }

    [Fact]
    public async Task InvalidLines_DefaultManifest_FailsAtValidateWithReportLinked()
    {
        await Blobs.UploadTextAsync(Containers.Uploads, "bad/data.jsonl", ChatData.WithTwoInvalidLines());
        var id = await _host.JobIdOfUploadAsync("bad/data.jsonl");
        var job = await _host.WaitForAsync(id);

        Assert.Equal(RuntimeStatus.Failed, job.RuntimeStatus);
        Assert.Equal(JobStage.Validate, job.Stage);
        var error = job.Output!["error"]!.GetValue<string>();
        Assert.Matches(@"^validation failed: \d+ errors in 12 records", error);
        Assert.Contains("line 3", error);
        Assert.Equal($"/api/jobs/{id}/files/validate/report.json", job.Output["reportUri"]!.GetValue<string>());
        using var report = JsonDocument.Parse((await Blobs.ReadTextAsync(Containers.Jobs, JobPaths.ValidationReport(id)))!);
        Assert.False(report.RootElement.GetProperty("usable").GetBoolean());
        Assert.Null(await Blobs.GetPropertiesAsync(Containers.Datasets, JobPaths.TrainData(id)));
    }

    [Fact]
    public async Task InvalidLines_ManifestSaysDrop_DropsThemAndGoesOn()
    {
        await Blobs.UploadTextAsync(Containers.Uploads, "lenient/job.job.json", """{"invalidLines":"drop","systemPrompt":"You add numbers.","validationFraction":0.25}""");
        await Blobs.UploadTextAsync(Containers.Uploads, "lenient/data.jsonl", ChatData.WithTwoInvalidLines(10));
        var id = await _host.JobIdOfUploadAsync("lenient/data.jsonl");
        var job = await _host.WaitForAsync(id);

        Assert.Equal(JobStage.Train, job.Stage);
        Assert.Equal("uploads/lenient/job.job.json", job.Input.ManifestBlob);
        using var report = JsonDocument.Parse((await Blobs.ReadTextAsync(Containers.Jobs, JobPaths.ValidationReport(id)))!);
        Assert.Equal(2, report.RootElement.GetProperty("droppedExamples").GetInt64());
        var train = (await Blobs.ReadTextAsync(Containers.Datasets, JobPaths.TrainData(id)))!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, train.Length);
        Assert.All(train, line => Assert.StartsWith("""{"messages":[{"role":"system","content":"You add numbers."}""", line));
    }

    [Fact]
    public async Task SameBlobVersion_SeenTwice_StartsOneJob_NewVersion_StartsAnother()
    {
        var first = await Blobs.UploadTextAsync(Containers.Uploads, "twice.jsonl", ChatData.Valid());
        var starter = _host.Services.GetService(typeof(JobStarter)) as JobStarter;
        var a = await starter!.StartAsync(Containers.Uploads, "twice.jsonl", first.ETag);
        var b = await starter.StartAsync(Containers.Uploads, "twice.jsonl", first.BareETag);
        Assert.Equal(a!.Value.Job.Id, b!.Value.Job.Id);
        Assert.False(b.Value.Created);
        var second = await Blobs.UploadTextAsync(Containers.Uploads, "twice.jsonl", ChatData.Valid(11));
        var c = await _host.JobIdOfUploadAsync("twice.jsonl");
        Assert.NotEqual(a.Value.Job.Id, c);
        Assert.Equal(JobPaths.IdFor(Containers.Uploads, "twice.jsonl", second.ETag), c);
        await _host.WaitForAsync(a.Value.Job.Id);
        await _host.WaitForAsync(c);
        var all = await _host.Jobs.ListAsync();
        Assert.Equal(2, all.Count(j => j.Input.Source.Name == "twice.jsonl"));
    }

    [Fact]
    public async Task Document_WithoutSynthesisEndpoint_FailsSayingSynthesisNotAvailable()
    {
        await Blobs.UploadTextAsync(Containers.Uploads, "manual.md", "# Manual\n\nPress the red button to stop.\n");
        var id = await _host.JobIdOfUploadAsync("manual.md");
        var job = await _host.WaitForAsync(id);
        Assert.Equal(JobStage.Synthesize, job.Stage);
        Assert.StartsWith("synthesis not available", job.Output!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnreadableQueueMessage_MovesToThePoisonQueue()
    {
        await _host.Storage.Queues.SendAsync(Containers.JobQueue, "not a wake message");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        IReadOnlyList<QueueMessage> poisoned = [];
        while (poisoned.Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            poisoned = await _host.Storage.Queues.ReceiveAsync(Containers.JobPoisonQueue, 32, TimeSpan.FromSeconds(30));
        }
        Assert.Equal("not a wake message", Assert.Single(poisoned).Text);
    }

    [Fact]
    public async Task BrokenManifest_FailsJobNamingTheManifest()
    {
        await Blobs.UploadTextAsync(Containers.Uploads, "m/x.job.json", "{ not json");
        await Blobs.UploadTextAsync(Containers.Uploads, "m/x.jsonl", ChatData.Valid());
        var id = await _host.JobIdOfUploadAsync("m/x.jsonl");
        var job = await _host.WaitForAsync(id);
        Assert.Contains("uploads/m/x.job.json is not valid", job.Output!["error"]!.GetValue<string>());
    }
}
