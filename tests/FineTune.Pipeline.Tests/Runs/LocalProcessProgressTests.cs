using FineTune.Pipeline.Runs;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using FineTune.Training;
using FineTune.Training.Contract;

namespace FineTune.Pipeline.Tests.Runs;

/// <summary>
/// The local backend reads what the trainer writes: a child process prints the trainer's own progress lines
/// (<see cref="RunProgress.ToLine"/> of a <see cref="StepMetrics"/>, as `finetune train` does), and the backend reports their
/// step and loss; the exit record it stores (<see cref="RunExit"/>) is read back by another host's backend.
/// </summary>
public sealed class LocalProcessProgressTests(Azurite azurite) : IClassFixture<Azurite>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private async Task<LocalProcessTrainingBackend> BackendAsync(string script)
    {
        var storage = StorageAccount.FromSetting(azurite.ConnectionString);
        await storage.EnsureCreatedAsync();
        // sh -c SCRIPT sh train --spec ADDRESS: the verb and spec land in $1…$3, unused.
        var options = new TrainingBackendOptions { Executable = "/bin/sh", ExecutableArguments = ["-c", script, "sh"] };
        return new LocalProcessTrainingBackend(options, storage);
    }

    private static async Task<TrainingProgress> UntilAsync(Func<Task<TrainingProgress>> poll, Func<TrainingProgress, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var p = await poll();
            if (done(p) || DateTime.UtcNow > deadline) return p;
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Progress_IsTheTrainersTypedLine_AndTheExitRecordReadsBackOnAnotherHost()
    {
        var line = RunProgress.From(new StepMetrics(StepMetrics.Kind, 6, 8, 1.5, 0.875, 1e-4, 0.3, 500, 6000, 2.0, 0)).ToLine();
        var backend = await BackendAsync($"echo 'epoch 1: train loss 1.0'; echo '{line}'; echo 'not progress'; exit 0");
        var run = await backend.StartAsync(new TrainingTask("job-progress", "train", "jobs/job-progress/train/spec.json"), default);

        var done = await UntilAsync(() => backend.GetProgressAsync(run, default), p => p.State != TrainingRunState.Running);
        Assert.Equal(new TrainingProgress(TrainingRunState.Succeeded, 1, 6, 0.875, Epoch: 1), done);

        // Another host sharing the hub: it did not start the run, so it answers from the exit record once it is stored.
        var other = await BackendAsync("exit 0");
        var seen = await UntilAsync(() => other.GetProgressAsync(run, default), p => p.State != TrainingRunState.Running);
        Assert.Equal(new TrainingProgress(TrainingRunState.Succeeded, 1, 6, 0.875), seen);
    }

    [Fact]
    public async Task RunsThatEndAtOnce_AllHaveTheirExitRecorded()
    {
        // A process may end before StartAsync returns (the CI once lost such an exit: the exit event was enabled before it was
        // handled, and the run registered after both); its exit must still be stored for the other hosts.
        var backend = await BackendAsync("exit 0");
        // Started from many threads at once, so that some are held up between starting the process and returning.
        var runs = await Task.WhenAll(Enumerable.Range(0, 48).Select(i => Task.Run(() =>
            backend.StartAsync(new TrainingTask($"job-instant-{i}", "train", $"jobs/job-instant-{i}/train/spec.json"), default))));
        var other = await BackendAsync("exit 0");
        foreach (var run in runs)
        {
            var seen = await UntilAsync(() => other.GetProgressAsync(run, default), p => p.State != TrainingRunState.Running);
            Assert.True(seen.State == TrainingRunState.Succeeded, $"{run.RunId}: {seen}");
        }
    }

    [Fact]
    public async Task ProgressLine_OfAnotherContract_IsReportedNotGuessed_AndAFailureCarriesStderr()
    {
        var backend = await BackendAsync("echo 'progress fraction=0.5 step=3 loss=1.2'; echo 'bad data' >&2; exit 1");
        var run = await backend.StartAsync(new TrainingTask("job-bad-line", "train", "jobs/job-bad-line/train/spec.json"), default);
        var done = await UntilAsync(() => backend.GetProgressAsync(run, default), p => p.State != TrainingRunState.Running);
        Assert.Equal(TrainingRunState.Failed, done.State);
        Assert.Null(done.Step);
        Assert.Equal("exit code 1: bad data", done.Message);

        var running = await BackendAsync("echo 'progress {\"fraction\":0.5,\"speed\":9}'; sleep 30");
        var slow = await running.StartAsync(new TrainingTask("job-bad-line2", "train", "jobs/job-bad-line2/train/spec.json"), default);
        try
        {
            var p = await UntilAsync(() => running.GetProgressAsync(slow, default), p => p.Message is not null);
            Assert.Equal(TrainingRunState.Running, p.State);
            Assert.StartsWith("progress line does not match the RunProgress contract", p.Message);
            Assert.Contains("'speed'", p.Message);
        }
        finally
        {
            await running.CancelAsync(slow, default);
        }
    }
}
