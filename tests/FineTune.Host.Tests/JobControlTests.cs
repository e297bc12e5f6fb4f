using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Host.Tests.Support;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Training;
using FineTune.Tests.Support;

namespace FineTune.Host.Tests;

/// <summary>
/// Training dispatch, progress through durable timers, the approval gate and terminate, with the local-process backend
/// running a real child process (a shell script standing in for `finetune train`, which prints the same progress lines).
/// </summary>
public sealed class JobControlTests
{
    private static TrainingBackendOptions Shell(string script) => new()
    {
        Backend = "local",
        Executable = "/bin/sh",
        ExecutableArguments = ["-c", script, "sh"],
    };

    private static async Task<string> SubmitAsync(TestHost host, string manifest)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(manifest), "files", "run.job.json" },
            { new StringContent(ChatData.Valid(), Encoding.UTF8), "files", "data.jsonl" },
        };
        using var response = await host.Client.PostAsync("/api/jobs", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    /// <summary>
    /// A stand-in for `finetune train|eval --spec ADDR`: prints progress; as eval it writes the results blob with the
    /// given gate decision into the embedded store (container c, blob a/b is the file $FINETUNE_STORAGE/c/a/b).
    /// </summary>
    private static string TrainThenEvaluate(string gateOutcome, double baseScore, double tunedScore) =>
        "echo 'progress step=7 loss=1.25 fraction=0.5'; sleep 0.6; " +
        "if [ \"$1\" = eval ]; then f=\"$FINETUNE_STORAGE/${3%spec.json}results.json\"; " +
        $"printf '{{\"gate\":{{\"outcome\":\"{gateOutcome}\",\"baseScore\":{baseScore},\"tunedScore\":{tunedScore},\"reason\":\"gate says {gateOutcome}\"}}}}' > \"$f\"; fi; exit 0";

    [Fact]
    public async Task Gate_NotPassed_WaitsForApproval_AndFailOutcomeFailsTheJob()
    {
        await using (var host = await TestHost.StartAsync(training: Shell(TrainThenEvaluate("AwaitApproval", 0.4, 0.3))))
        {
            var id = await SubmitAsync(host, """{"deploymentName":"held","baseModel":"tiny"}""");
            var waiting = await host.WaitForStatusAsync(id, s => s["customStatus"]?["waitingFor"] is not null);
            Assert.Equal("deploy", waiting["customStatus"]!["stage"]!.GetValue<string>());
            Assert.Equal(0.4, waiting["customStatus"]!["baseScore"]!.GetValue<double>());
            Assert.Equal(0.3, waiting["customStatus"]!["tunedScore"]!.GetValue<double>());
            using var reject = await host.Client.PostAsync($"/api/jobs/{id}/raiseEvent/reject", null);
            var done = await host.WaitForStatusAsync(id);
            Assert.Equal("Completed", TestHost.Status(done));
            Assert.False(done["output"]!["deployed"]!.GetValue<bool>());
            Assert.Null(await host.Storage.Blobs.GetPropertiesAsync(Containers.Deployments, "held.json"));
        }
        await using (var host = await TestHost.StartAsync(training: Shell(TrainThenEvaluate("Fail", 0.4, 0.3))))
        {
            var id = await SubmitAsync(host, """{"onGateFail":"fail","baseModel":"tiny"}""");
            var done = await host.WaitForStatusAsync(id);
            Assert.Equal("Failed", TestHost.Status(done));
            Assert.Contains("gate says Fail", done["output"]!.ToJsonString());
        }
    }

    [Fact]
    public async Task ApprovalGate_TrainAndEvaluateSucceed_DeploysOnlyAfterApprove()
    {
        await using var host = await TestHost.StartAsync(training: Shell(TrainThenEvaluate("Deploy", 0.1, 0.4)));
        var id = await SubmitAsync(host, """{"requireApproval":true,"deploymentName":"demo","baseModel":"tiny"}""");

        var training = await host.WaitForStatusAsync(id, s => s["customStatus"]?["step"]?.GetValue<long>() == 7);
        Assert.Equal("train", training["customStatus"]!["stage"]!.GetValue<string>());
        Assert.Equal(1.25, training["customStatus"]!["loss"]!.GetValue<double>());

        var waiting = await host.WaitForStatusAsync(id, s => s["customStatus"]?["waitingFor"] is not null);
        Assert.Equal("Running", TestHost.Status(waiting));
        Assert.Equal("deploy", waiting["customStatus"]!["stage"]!.GetValue<string>());
        Assert.Null(await host.Storage.Blobs.GetPropertiesAsync(Containers.Deployments, "demo.json"));
        var spec = JsonNode.Parse((await host.Storage.Blobs.ReadTextAsync(Containers.Jobs, JobPaths.TrainSpec(id)))!)!;
        Assert.Equal($"datasets/{id}/train.jsonl", spec["train"]!.GetValue<string>());

        using var approve = await host.Client.PostAsync($"/api/jobs/{id}/raiseEvent/approve", null);
        Assert.Equal(HttpStatusCode.Accepted, approve.StatusCode);
        var done = await host.WaitForStatusAsync(id, query: "?showHistory=true");
        Assert.Equal("Completed", TestHost.Status(done));
        // Polls of a running training keep one timer entry, not one per poll.
        var trainEvents = done["historyEvents"]!.AsArray().Where(e => e!["stage"]?.GetValue<string>() == "train").Select(e => e!["eventType"]!.GetValue<string>()).ToList();
        Assert.Equal(["StageStarted", "TimerCreated", "StageCompleted"], trainEvents);
        Assert.True(done["output"]!["deployed"]!.GetValue<bool>());
        Assert.Equal(0.1, done["output"]!["baseScore"]!.GetValue<double>());
        Assert.Equal(0.4, done["output"]!["tunedScore"]!.GetValue<double>());
        var deployment = JsonNode.Parse((await host.Storage.Blobs.ReadTextAsync(Containers.Deployments, "demo.json"))!)!;
        Assert.Equal($"adapters/{id}/", deployment["adapter"]!.GetValue<string>());
    }

    [Fact]
    public async Task Terminate_DuringTraining_EndsJobAndKillsTheTrainingProcess()
    {
        await using var host = await TestHost.StartAsync(training: Shell("echo 'progress step=3 loss=2.5 fraction=0.1'; exec sleep 30"));
        var id = await SubmitAsync(host, "{}");
        await host.WaitForStatusAsync(id, s => s["customStatus"]?["step"]?.GetValue<long>() == 3);

        using (var running = await host.Client.GetAsync($"/api/jobs/{id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
            Assert.Equal($"{host.BaseUrl}/api/jobs/{id}", running.Headers.Location!.ToString());
            Assert.Equal(TimeSpan.FromSeconds(5), running.Headers.RetryAfter!.Delta);
        }
        var jobs = (JobStore)host.Services.GetService(typeof(JobStore))!;
        var pid = int.Parse((await jobs.GetAsync(id))!.Value.State.StageData["train.run"].Split('-')[0]);

        using var terminate = await host.Client.PostAsync($"/api/jobs/{id}/terminate?reason=changed%20my%20mind", null);
        Assert.Equal(HttpStatusCode.Accepted, terminate.StatusCode);
        var status = await host.WaitForStatusAsync(id);
        Assert.Equal("Terminated", TestHost.Status(status));
        Assert.Equal("changed my mind", status["output"]!["reason"]!.GetValue<string>());
        await AssertExitedAsync(pid);

        await Task.Delay(600); // a timer that was due finds the job finished and changes nothing
        var after = (await jobs.GetAsync(id))!.Value.State;
        Assert.Equal(RuntimeStatus.Terminated, after.RuntimeStatus);
        Assert.Single(after.History, e => e.EventType.StartsWith("Execution", StringComparison.Ordinal) && e.EventType != "ExecutionScheduled" && e.EventType != "ExecutionStarted");
    }

    [Fact]
    public async Task TrainerWritingOnlyMetrics_ProgressComesFromTheMetricsBlob()
    {
        // No stdout progress: the stage reads the last line of jobs/{id}/train/metrics.jsonl, as for Container Apps runs.
        await using var host = await TestHost.StartAsync(training: Shell(
            "d=\"$FINETUNE_STORAGE/$(dirname \"$3\")\"; echo '{\"step\":9,\"loss\":0.5,\"progress\":0.3}' > \"$d/metrics.jsonl\"; exec sleep 30"));
        var id = await SubmitAsync(host, "{}");
        var status = await host.WaitForStatusAsync(id, s => s["customStatus"]?["step"]?.GetValue<long>() == 9);
        Assert.Equal(0.5, status["customStatus"]!["loss"]!.GetValue<double>());
        Assert.Equal(0.3, status["customStatus"]!["progress"]!.GetValue<double>());
        using var terminate = await host.Client.PostAsync($"/api/jobs/{id}/terminate", null);
        Assert.Equal(HttpStatusCode.Accepted, terminate.StatusCode);
    }

    [Fact]
    public async Task TerminateFromAnotherHost_TheOwningHostStopsItsTrainingProcess()
    {
        var dir = RepoPaths.NewTempDirectory("watchdog");
        await using var owner = await TestHost.StartAsync(dataDirectory: dir, training: Shell("echo 'progress step=1 loss=3 fraction=0.1'; exec sleep 30"));
        var id = await SubmitAsync(owner, "{}");
        await owner.WaitForStatusAsync(id, s => s["customStatus"]?["step"]?.GetValue<long>() == 1);
        var jobs = (JobStore)owner.Services.GetService(typeof(JobStore))!;
        var pid = int.Parse((await jobs.GetAsync(id))!.Value.State.StageData["train.run"].Split('-')[0]);
        var apiOnly = TestHost.FastOptions();
        apiOnly.RunWorkers = false;
        apiOnly.ScanInterval = TimeSpan.Zero;
        var other = await TestHost.StartAsync(dataDirectory: dir, options: apiOnly); // another process's API: cannot reach the child process
        await using (other)
        {
            using var terminate = await other.Client.PostAsync($"/api/jobs/{id}/terminate", null);
            Assert.Equal(HttpStatusCode.Accepted, terminate.StatusCode);
        }
        await AssertExitedAsync(pid);
    }

    [Fact]
    public async Task TrainingProcessFails_JobFailsWithItsExitCodeAndStderr()
    {
        await using var host = await TestHost.StartAsync(training: Shell("echo \"CUDA out of memory (storage $FINETUNE_STORAGE)\" >&2; exit 3"));
        var id = await SubmitAsync(host, "{}");
        var status = await host.WaitForStatusAsync(id);
        Assert.Equal("Failed", TestHost.Status(status));
        var error = status["output"]!["error"]!.GetValue<string>();
        Assert.Contains("train failed on local: exit code 3", error);
        Assert.Contains("CUDA out of memory (storage ***)", error); // the storage setting (a key, on Azure) is redacted
    }

    private static async Task AssertExitedAsync(int pid)
    {
        for (var i = 0; i < 50; i++)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                if (process.HasExited) return;
            }
            catch (ArgumentException)
            {
                return; // gone
            }
            await Task.Delay(50);
        }
        Assert.Fail($"training process {pid} is still running after terminate");
    }
}
