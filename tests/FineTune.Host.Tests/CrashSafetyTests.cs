using FineTune.Host.Tests.Support;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using Xunit.Abstractions;

namespace FineTune.Host.Tests;

/// <summary>
/// SIGKILLs `finetune serve` at random moments 20 times in a row while jobs run (a new file dropped before each start),
/// then lets a last host finish. Every job must end exactly once, with the same outputs as an uninterrupted run.
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output)
{
    private const int Kills = 20;

    private static readonly Dictionary<string, string> FastEnvironment = new()
    {
        ["Pipeline__LeaseDuration"] = "2",
        ["Pipeline__VisibilityTimeout"] = "2",
        ["Pipeline__MaxDequeueCount"] = "1000",
        ["Pipeline__ScanInterval"] = "0.05",
        ["Pipeline__MinPollingInterval"] = "0.05",
        ["Pipeline__MaxPollingInterval"] = "0.2",
        ["Pipeline__RetryDelay"] = "0.05",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private static async Task DropAsync(IBlobStore blobs, int i)
    {
        var folder = $"c{i:D2}";
        switch (i % 4)
        {
            case 1:
                await blobs.UploadTextAsync(Containers.Uploads, $"{folder}/data.job.json", """{"invalidLines":"drop","systemPrompt":"Be brief."}""");
                await blobs.UploadTextAsync(Containers.Uploads, $"{folder}/data.jsonl", ChatData.WithTwoInvalidLines(10 + i));
                break;
            case 3:
                await blobs.UploadTextAsync(Containers.Uploads, $"{folder}/data.jsonl", ChatData.WithTwoInvalidLines(10 + i));
                break;
            default:
                await blobs.UploadTextAsync(Containers.Uploads, $"{folder}/data.jsonl", ChatData.Valid(10 + i));
                break;
        }
    }

    [Fact]
    public async Task KillHost20TimesAtRandomMoments_EveryJobEndsOnceWithUninterruptedOutputs()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var crashDir = RepoPaths.NewTempDirectory("crash");
        var referenceDir = RepoPaths.NewTempDirectory("reference");
        try
        {
            var storage = StorageAccount.FromDirectory(crashDir);
            await storage.EnsureCreatedAsync();
            var jobs = new JobStore(storage.Blobs, TimeProvider.System);
            var interrupted = 0;
            for (var i = 0; i < Kills; i++)
            {
                await DropAsync(storage.Blobs, i);
                using var host = await ServeProcess.StartAsync(crashDir, FastEnvironment, TimeSpan.FromSeconds(60));
                await Task.Delay(random.Next(0, 500));
                host.Kill();
                var unfinished = (await jobs.ListAsync()).Count(j => !j.RuntimeStatus.IsTerminal());
                if (unfinished > 0) interrupted++;
                output.WriteLine($"kill {i + 1}: {unfinished} unfinished jobs");
            }
            using (var last = await ServeProcess.StartAsync(crashDir, FastEnvironment, TimeSpan.FromSeconds(60)))
                await WaitAllFinishedAsync(jobs, Kills, TimeSpan.FromSeconds(60));
            Assert.True(interrupted >= 3, $"only {interrupted} of {Kills} kills hit an unfinished job; the test did not exercise recovery");

            // The same files, one uninterrupted host.
            var referenceStorage = StorageAccount.FromDirectory(referenceDir);
            await referenceStorage.EnsureCreatedAsync();
            for (var i = 0; i < Kills; i++) await DropAsync(referenceStorage.Blobs, i);
            var referenceJobs = new JobStore(referenceStorage.Blobs, TimeProvider.System);
            await using (var reference = await TestHost.StartAsync(dataDirectory: referenceDir))
                await WaitAllFinishedAsync(referenceJobs, Kills, TimeSpan.FromSeconds(60));

            var crashed = (await jobs.ListAsync()).ToDictionary(j => j.Input.Source.Name);
            var expected = (await referenceJobs.ListAsync()).ToDictionary(j => j.Input.Source.Name);
            Assert.Equal(Kills, crashed.Count);
            Assert.Equal(expected.Keys.Order(), crashed.Keys.Order());
            foreach (var (name, job) in crashed)
            {
                var want = expected[name];
                Assert.Equal(1, job.History.Count(e => e.EventType is "ExecutionFailed" or "ExecutionCompleted" or "ExecutionTerminated"));
                Assert.Equal(want.RuntimeStatus, job.RuntimeStatus);
                Assert.Equal(want.Stage, job.Stage);
                Assert.Equal(want.Output?["error"]?.GetValue<string>(), job.Output?["error"]?.GetValue<string>());
                await AssertSameBlobAsync(storage, referenceStorage, Containers.Jobs, JobPaths.ValidationReport(job.Id), JobPaths.ValidationReport(want.Id));
                await AssertSameBlobAsync(storage, referenceStorage, Containers.Datasets, JobPaths.ValidatedData(job.Id), JobPaths.ValidatedData(want.Id));
                await AssertSameBlobAsync(storage, referenceStorage, Containers.Datasets, JobPaths.TrainData(job.Id), JobPaths.TrainData(want.Id));
                await AssertSameBlobAsync(storage, referenceStorage, Containers.Datasets, JobPaths.ValidationData(job.Id), JobPaths.ValidationData(want.Id));
                await AssertSameBlobAsync(storage, referenceStorage, Containers.Jobs, JobPaths.PrepareSummary(job.Id), JobPaths.PrepareSummary(want.Id));
            }
            var reruns = crashed.Values.Sum(j => j.History.Where(e => e.EventType == "StageStarted").GroupBy(e => e.Stage).Sum(g => g.Count() - 1));
            output.WriteLine($"{interrupted} of {Kills} kills interrupted unfinished jobs; {reruns} stage attempts re-ran after a kill");
        }
        finally
        {
            Directory.Delete(crashDir, recursive: true);
            Directory.Delete(referenceDir, recursive: true);
        }
    }

    [Fact]
    public async Task TwoServeProcessesOnOneFolder_ShareTheJobs_NoneDuplicatedEachEndedOnce()
    {
        var dir = RepoPaths.NewTempDirectory("shared");
        try
        {
            var environment = new Dictionary<string, string>(FastEnvironment) { ["Pipeline__BatchSize"] = "2" };
            using var first = await ServeProcess.StartAsync(dir, environment, TimeSpan.FromSeconds(60));
            using var second = await ServeProcess.StartAsync(dir, environment, TimeSpan.FromSeconds(60));
            var storage = StorageAccount.FromDirectory(dir);
            for (var i = 0; i < 16; i++) await DropAsync(storage.Blobs, i);
            var jobs = new JobStore(storage.Blobs, TimeProvider.System);
            await WaitAllFinishedAsync(jobs, 16, TimeSpan.FromSeconds(60));
            var all = await jobs.ListAsync();
            Assert.Equal(16, all.Count);
            Assert.Equal(16, all.Select(j => j.Input.Source.Name).Distinct().Count());
            Assert.All(all, j => Assert.Single(j.History, e => e.EventType is "ExecutionFailed" or "ExecutionCompleted"));
            var workers = all.SelectMany(j => j.History).Where(e => e.EventType == "StageStarted").Select(e => e.Detail!).Distinct().ToList();
            var expectedWorkers = new[] { first.Id, second.Id }.Select(pid => $"by {Environment.MachineName}:{pid}").Order().ToList();
            Assert.Equal(expectedWorkers, workers.Order().ToList());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task WaitAllFinishedAsync(JobStore jobs, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var all = await jobs.ListAsync();
            if (all.Count >= count && all.All(j => j.RuntimeStatus.IsTerminal())) return;
            await Task.Delay(100);
        }
        var states = string.Join(", ", (await jobs.ListAsync()).Select(j => $"{j.Input.Source.Name}:{j.RuntimeStatus}/{j.Stage}"));
        throw new TimeoutException($"jobs did not finish in {timeout}: {states}");
    }

    private static async Task AssertSameBlobAsync(StorageAccount actual, StorageAccount expected, string container, string actualName, string expectedName)
    {
        // Paths inside outputs name the job; the ids differ between the two runs (different ETags), nothing else may.
        var want = (await expected.Blobs.ReadTextAsync(container, expectedName))?.Replace(expectedName.Split('/')[0], "{id}");
        var got = (await actual.Blobs.ReadTextAsync(container, actualName))?.Replace(actualName.Split('/')[0], "{id}");
        Assert.True(want == got, $"{container}/{actualName} differs from the uninterrupted run's {expectedName}:\n got: {got?[..Math.Min(200, got.Length)]}\nwant: {want?[..Math.Min(200, want.Length)]}");
    }
}
