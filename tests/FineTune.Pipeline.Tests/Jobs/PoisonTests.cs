using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;

namespace FineTune.Pipeline.Tests.Jobs;

public sealed class PoisonTests
{
    [Fact]
    public async Task MessageDequeuedMoreThanMaxDequeueCount_FailsItsJobAndMovesToPoison()
    {
        var dir = RepoPaths.NewTempDirectory("poison");
        try
        {
            var storage = StorageAccount.FromDirectory(dir);
            await storage.EnsureCreatedAsync();
            var blob = await storage.Blobs.UploadTextAsync(Containers.Uploads, "stuck.jsonl", ChatData.Valid());
            var id = JobPaths.IdFor(Containers.Uploads, blob.Name, blob.ETag);
            // Someone else holds the job (a worker that never finishes): every wake finds it busy and comes back.
            await storage.Blobs.CreateContainerAsync(Containers.Jobs);
            await storage.Blobs.UploadTextAsync(Containers.Jobs, JobPaths.Lease(id), "");
            Assert.NotNull(await storage.Blobs.TryAcquireLeaseAsync(Containers.Jobs, JobPaths.Lease(id), TimeSpan.FromSeconds(60)));

            var options = PipelineHost.FastOptions();
            options.LeaseDuration = TimeSpan.FromSeconds(1);
            options.MaxDequeueCount = 2;
            await using var host = await PipelineHost.StartAsync(storage, options);
            var job = await host.WaitForAsync(await host.JobIdOfUploadAsync("stuck.jsonl"), timeoutMs: 15_000);
            Assert.Equal(RuntimeStatus.Failed, job.RuntimeStatus);
            Assert.Contains("more than maxDequeueCount", job.Output!["error"]!.GetValue<string>());
            Assert.Equal(JobStage.Validate, job.Stage);
            Assert.NotEmpty(await storage.Queues.ReceiveAsync(Containers.JobPoisonQueue, 32, TimeSpan.FromSeconds(30)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
