using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Stages;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.Pipeline.Tests.Jobs;

/// <summary>
/// The runner's contract with scripted stages: transient faults retried with backoff, permanent ones fail the job,
/// the lease keeps a second runner out while a stage runs (even past one lease period), terminate stops a stage.
/// </summary>
public sealed class JobRunnerTests : IAsyncLifetime
{
    private readonly string _dir = RepoPaths.NewTempDirectory("runner");
    private StorageAccount _storage = null!;
    private JobStore _jobs = null!;
    private JobStarter _starter = null!;

    public async Task InitializeAsync()
    {
        _storage = StorageAccount.FromDirectory(_dir);
        await _storage.EnsureCreatedAsync();
        _jobs = new JobStore(_storage.Blobs, TimeProvider.System);
        _starter = new JobStarter(_storage, _jobs, new WorkerSignal(), NullLogger<JobStarter>.Instance);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private sealed class ScriptedStage(JobStage stage, Func<StageContext, CancellationToken, Task<StageOutcome>> run) : IJobStage
    {
        public int Runs;
        public JobStage Stage => stage;
        public Task<StageOutcome> RunAsync(StageContext context, CancellationToken ct)
        {
            Interlocked.Increment(ref Runs);
            return run(context, ct);
        }
    }

    private JobRunner Runner(PipelineOptions options, params IJobStage[] stages) =>
        new(_storage, _jobs, _starter, stages, options, NullLogger<JobRunner>.Instance);

    private static PipelineOptions Options(int retries = 2, double leaseSeconds = 15) => new()
    {
        MaxRetries = retries,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        LeaseDuration = TimeSpan.FromSeconds(leaseSeconds),
    };

    private async Task<string> NewJobAsync(string name = "d.jsonl")
    {
        var blob = await _storage.Blobs.UploadTextAsync(Containers.Uploads, name, ChatData.Valid());
        return (await _starter.StartAsync(Containers.Uploads, name, blob.ETag))!.Value.Job.Id;
    }

    [Fact]
    public async Task TransientFaults_AreRetriedThenTheJobGoesOn()
    {
        var failures = 2;
        var validate = new ScriptedStage(JobStage.Validate, (_, _) =>
            Interlocked.Decrement(ref failures) >= 0 ? throw new IOException("disk hiccup") : Task.FromResult<StageOutcome>(new StageOutcome.Next(JobStage.Prepare)));
        var prepare = new ScriptedStage(JobStage.Prepare, (_, _) => Task.FromResult<StageOutcome>(new StageOutcome.Completed(new JsonObject { ["ok"] = true })));
        var id = await NewJobAsync();
        Assert.Equal(JobRunner.Result.Done, await Runner(Options(retries: 2), validate, prepare).AdvanceAsync(id, default));
        var job = (await _jobs.GetAsync(id))!.Value.State;
        Assert.Equal(RuntimeStatus.Completed, job.RuntimeStatus);
        Assert.Equal(3, validate.Runs);
        Assert.True(job.Output!["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task TransientFaults_BeyondMaxRetries_FailTheJobSayingSo()
    {
        var validate = new ScriptedStage(JobStage.Validate, (_, _) => throw new IOException("disk gone"));
        var id = await NewJobAsync();
        await Runner(Options(retries: 1), validate).AdvanceAsync(id, default);
        var job = (await _jobs.GetAsync(id))!.Value.State;
        Assert.Equal(RuntimeStatus.Failed, job.RuntimeStatus);
        Assert.Equal("validate failed after 2 attempts: disk gone", job.Output!["error"]!.GetValue<string>());
        Assert.Equal(2, validate.Runs);
    }

    [Fact]
    public async Task PermanentFault_FailsAtOnceWithItsMessage()
    {
        var validate = new ScriptedStage(JobStage.Validate, (_, _) => throw new PermanentStageException("base model 'x' is not in models/"));
        var id = await NewJobAsync();
        await Runner(Options(), validate).AdvanceAsync(id, default);
        var job = (await _jobs.GetAsync(id))!.Value.State;
        Assert.Equal("base model 'x' is not in models/", job.Output!["error"]!.GetValue<string>());
        Assert.Equal(1, validate.Runs);
    }

    [Fact]
    public async Task Lease_KeepsSecondRunnerOutForLongerThanOneLeasePeriod()
    {
        var inStage = new TaskCompletionSource();
        var validate = new ScriptedStage(JobStage.Validate, async (_, ct) =>
        {
            inStage.TrySetResult();
            await Task.Delay(2500, ct); // 2.5 lease periods: renewals keep it
            return new StageOutcome.Completed(null);
        });
        var id = await NewJobAsync();
        var options = Options(leaseSeconds: 1);
        var first = Runner(options, validate).AdvanceAsync(id, default);
        await inStage.Task;
        var second = Runner(options, validate);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(JobRunner.Result.Busy, await second.AdvanceAsync(id, default));
            await Task.Delay(500);
        }
        Assert.Equal(JobRunner.Result.Done, await first);
        Assert.Equal(1, validate.Runs);
        Assert.Equal(JobRunner.Result.Done, await second.AdvanceAsync(id, default)); // finished: nothing to do
        Assert.Equal(1, validate.Runs);
    }

    [Fact]
    public async Task Terminate_WhileStageRuns_CancelsItAndTheJobEndsTerminatedOnce()
    {
        var cancelled = new TaskCompletionSource();
        var inStage = new TaskCompletionSource();
        var validate = new ScriptedStage(JobStage.Validate, async (_, ct) =>
        {
            inStage.TrySetResult();
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { cancelled.TrySetResult(); throw; }
            return new StageOutcome.Next(JobStage.Prepare);
        });
        var id = await NewJobAsync();
        var run = Runner(Options(leaseSeconds: 1), validate).AdvanceAsync(id, default);
        await inStage.Task;
        var control = new JobControl(_jobs, _starter, new FineTune.Pipeline.Training.NotConfiguredTrainingBackend(), NullLogger<JobControl>.Instance);
        Assert.Equal(JobControl.Result.Done, await control.TerminateAsync(id, "stop", default));
        Assert.Equal(JobRunner.Result.Done, await run.WaitAsync(TimeSpan.FromSeconds(5)));
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(1));
        var job = (await _jobs.GetAsync(id))!.Value.State;
        Assert.Equal(RuntimeStatus.Terminated, job.RuntimeStatus);
        Assert.Single(job.History, e => e.EventType is "ExecutionTerminated" or "ExecutionFailed" or "ExecutionCompleted");
        Assert.Equal(JobControl.Result.NotRunning, await control.TerminateAsync(id, "again", default));
    }

    [Fact]
    public async Task Wait_EnqueuesADelayedWake_AndRecoverWakesUnfinishedJobs()
    {
        var validate = new ScriptedStage(JobStage.Validate, (_, _) => Task.FromResult<StageOutcome>(new StageOutcome.Wait(TimeSpan.FromSeconds(1))));
        var id = await NewJobAsync();
        // drain the creation wake
        foreach (var m in await _storage.Queues.ReceiveAsync(Containers.JobQueue, 32, TimeSpan.FromSeconds(30)))
            await _storage.Queues.DeleteAsync(Containers.JobQueue, m);
        var runner = Runner(Options(), validate);
        await runner.AdvanceAsync(id, default);
        Assert.Empty(await _storage.Queues.ReceiveAsync(Containers.JobQueue, 32, TimeSpan.FromSeconds(30)));
        await Task.Delay(1200);
        var timer = Assert.Single(await _storage.Queues.ReceiveAsync(Containers.JobQueue, 32, TimeSpan.FromSeconds(30)));
        Assert.Equal(id, WakeMessage.TryParse(timer.Text)!.JobId);
        Assert.Contains((await _jobs.GetAsync(id))!.Value.State.History, e => e.EventType == "TimerCreated");
        Assert.Equal(1, await runner.RecoverAsync(default));
    }
}
