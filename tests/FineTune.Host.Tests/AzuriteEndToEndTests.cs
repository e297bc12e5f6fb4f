using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FineTune.Host.Tests.Support;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;

namespace FineTune.Host.Tests;

/// <summary>End to end on real Azurite: blobs dropped into uploads/ through the REST client start jobs.</summary>
public sealed class AzuriteEndToEndTests(Azurite azurite) : IClassFixture<Azurite>
{
    [Fact]
    public async Task DropValidAndInvalidFiles_ValidReachesTrain_InvalidFailsWithReport()
    {
        await using var host = await TestHost.StartAsync(connectionString: azurite.ConnectionString);
        var good = await host.Storage.Blobs.UploadTextAsync(Containers.Uploads, "e2e/good.jsonl", ChatData.Valid(20));
        var bad = await host.Storage.Blobs.UploadTextAsync(Containers.Uploads, "e2e/bad.jsonl", ChatData.WithTwoInvalidLines());
        var goodId = JobPaths.IdFor(Containers.Uploads, good.Name, good.ETag);
        var badId = JobPaths.IdFor(Containers.Uploads, bad.Name, bad.ETag);

        var goodStatus = await host.WaitForStatusAsync(goodId);
        Assert.Equal("Failed", TestHost.Status(goodStatus));
        Assert.Equal("train", goodStatus["output"]!["stage"]!.GetValue<string>());
        Assert.Contains("no training backend configured", goodStatus["output"]!["error"]!.GetValue<string>());
        Assert.Equal(18, (await host.Storage.Blobs.ReadTextAsync(Containers.Datasets, JobPaths.TrainData(goodId)))!.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var badStatus = await host.WaitForStatusAsync(badId);
        Assert.Equal("Failed", TestHost.Status(badStatus));
        Assert.Equal("validate", badStatus["output"]!["stage"]!.GetValue<string>());
        var report = (await host.Client.GetFromJsonAsync<JsonObject>(badStatus["output"]!["reportUri"]!.GetValue<string>()))!;
        Assert.False(report["usable"]!.GetValue<bool>());
    }
}

/// <summary>50 files dropped at once, two hosts sharing one Azurite: 50 jobs, none lost, none duplicated, each ended once.</summary>
public sealed class TwoHostsTests(Azurite azurite) : IClassFixture<Azurite>
{
    [Fact]
    public async Task FiftyFilesDroppedAtOnce_TwoHosts_FiftyJobsEachEndedOnce()
    {
        var a = TestHost.FastOptions();
        a.WorkerName = "host-a";
        var b = TestHost.FastOptions();
        b.WorkerName = "host-b";
        await using var hostA = await TestHost.StartAsync(connectionString: azurite.ConnectionString, options: a);
        await using var hostB = await TestHost.StartAsync(connectionString: azurite.ConnectionString, options: b);

        var blobs = hostA.Storage.Blobs;
        var uploads = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            blobs.UploadTextAsync(Containers.Uploads, $"batch/{i:D2}.jsonl", i % 5 == 4 ? ChatData.WithTwoInvalidLines() : ChatData.Valid(10 + i % 3))));
        var expected = uploads.ToDictionary(u => JobPaths.IdFor(Containers.Uploads, u.Name, u.ETag), u => u.Name);

        var jobs = (JobStore)hostA.Services.GetService(typeof(JobStore))!;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        IReadOnlyList<JobState> all = [];
        while (DateTime.UtcNow < deadline)
        {
            all = await jobs.ListAsync();
            if (all.Count >= 50 && all.All(j => j.RuntimeStatus.IsTerminal())) break;
            await Task.Delay(200);
        }
        Assert.Equal(50, all.Count);
        Assert.Equal(expected.Keys.Order(), all.Select(j => j.Id).Order());
        Assert.All(all, job =>
        {
            Assert.Equal(RuntimeStatus.Failed, job.RuntimeStatus);
            Assert.Equal(expected[job.Id], job.Input.Source.Name);
            Assert.Single(job.History, e => e.EventType == "ExecutionFailed");
            Assert.Single(job.History, e => e.EventType == "ExecutionStarted");
            Assert.Equal(int.Parse(job.Input.Source.Name[6..8]) % 5 == 4 ? JobStage.Validate : JobStage.Train, job.Stage);
        });
        var workers = all.SelectMany(j => j.History).Where(e => e.EventType == "StageStarted").Select(e => e.Detail).Distinct().Order().ToList();
        Assert.Equal(["by host-a", "by host-b"], workers);
        var receipts = await blobs.ListAsync(Containers.Jobs, "_receipts/").CountAsync();
        Assert.Equal(50, receipts);
        Assert.Empty(await hostA.Storage.Queues.ReceiveAsync(Containers.JobPoisonQueue, 32, TimeSpan.FromSeconds(1)));
    }
}
