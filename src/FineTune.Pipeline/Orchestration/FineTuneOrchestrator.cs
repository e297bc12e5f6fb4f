using FineTune.Pipeline.Activities;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Runs;
using Microsoft.DurableTask;

namespace FineTune.Pipeline.Orchestration;

/// <summary>
/// One fine-tuning job, as a Durable orchestration: Validate → Synthesize (documents: fan out over chunk batches, fan in)
/// → Prepare → Train → Evaluate → Gate → Deploy. It reads like the flow chart: one activity per step, custom status at
/// each stage. Replay-safe: no I/O, clock, GUID or randomness except through the context. Long work (training,
/// evaluation) runs on a training backend and is followed with durable timers, so no worker is held while it runs.
/// Events are listened for only at the gate (the job API refuses approve/reject before it).
/// </summary>
public sealed class FineTuneOrchestrator : TaskOrchestrator<JobInput, JobOutput>
{
    public const string Approve = "approve";
    public const string Reject = "reject";

    private OrchestrationSettings _options = OrchestrationSettings.Default;
    private readonly List<StageTime> _stages = [];
    private string? _decision;

    public override async Task<JobOutput> RunAsync(TaskOrchestrationContext context, JobInput input)
    {
        _options = input.Settings ?? OrchestrationSettings.Default;
        var job = new JobRequest(context.InstanceId, input);
        if (input.Rejected is { } why) Fail(context, "validate", why);
        try
        {
            return await RunStagesAsync(context, job);
        }
        finally
        {
            // Work files of this job on the activity hosts (temp data, downloaded documents) go, whatever the outcome.
            await context.CallActivityAsync(nameof(CleanupActivity), job.JobId, Retry);
        }
    }

    private async Task<JobOutput> RunStagesAsync(TaskOrchestrationContext context, JobRequest job)
    {
        // Validate
        SetStatus(context, new JobProgress { Stage = "validate", Message = "validating" });
        var validation = await Call<ValidateResult>(context, "validate", nameof(ValidateActivity), job);
        if (!validation.Usable) Fail(context, "validate", validation.Reason ?? "validation failed", JobPaths.ValidationReportFile);
        SetStatus(context, new JobProgress
        {
            Stage = "validate", Progress = 1, Examples = validation.Examples, Errors = validation.Errors, Dropped = validation.Dropped,
        });

        // Synthesize (documents only): fan out over chunk batches, fan in
        SynthesisSummary? synthesis = null;
        if (job.Input.Kind == JobKind.Documents)
            synthesis = await SynthesizeAsync(context, job);

        // Prepare
        SetStatus(context, new JobProgress { Stage = "prepare" });
        var prepared = await Call<PrepareResult>(context, "prepare", nameof(PrepareActivity), job);
        SetStatus(context, new JobProgress
        {
            Stage = "prepare", Progress = 1, TrainExamples = prepared.TrainExamples, ValidationExamples = prepared.ValidationExamples,
        });

        // Train, then Evaluate: each a run on the training backend, followed with durable timers
        await RunOnBackendAsync(context, job, "train", "train");
        await RunOnBackendAsync(context, job, "eval", "evaluate");

        // Gate
        var gate = await Call<GateDecision>(context, "gate", nameof(ReadGateActivity), job);
        var scores = new JobProgress { Stage = "gate", BaseScore = gate.BaseScore, TunedScore = gate.TunedScore, Gate = gate.Outcome, GateReason = gate.Reason };
        SetStatus(context, scores);
        if (gate.Outcome == "Fail") Fail(context, "gate", gate.Reason, null, scores);
        var output = new JobOutput
        {
            BaseScore = gate.BaseScore, TunedScore = gate.TunedScore, Gate = gate.Outcome, GateReason = gate.Reason,
            SynthesizedPairs = synthesis?.Pairs, FailedChunks = synthesis?.FailedChunks,
        };
        if (job.Input.Manifest.RequireApproval || gate.Outcome == "AwaitApproval")
        {
            var decision = await WaitForApprovalAsync(context, job, scores);
            _stages[^1] = _stages[^1] with { Decision = _decision };
            if (decision == Reject)
            {
                SetStatus(context, scores with { Progress = 1 });
                return output with { Deployed = false, Reason = "rejected" };
            }
            output = output with { GateReason = $"{gate.Reason}; approved" };
        }

        // Deploy
        SetStatus(context, scores with { Stage = "deploy" });
        var deployed = await Call<DeployResult>(context, "deploy", nameof(DeployActivity), job);
        SetStatus(context, scores with { Stage = "deploy", Progress = 1 });
        return output with { Deployed = true, Deployment = deployed.Deployment, Adapter = deployed.Adapter };
    }

    private async Task<SynthesisSummary> SynthesizeAsync(TaskOrchestrationContext context, JobRequest job)
    {
        SetStatus(context, new JobProgress { Stage = "synthesize", Message = "reading and chunking the document" });
        var plan = await Call<SynthesisPlan>(context, "synthesize", nameof(PlanSynthesisActivity), job);
        SetStatus(context, new JobProgress { Stage = "synthesize", Chunks = plan.Chunks, Message = "generating Q&A pairs" });
        var batches = plan.Batches.Select(ids => context.CallActivityAsync<SynthesisBatchResult>(
            nameof(SynthesizeBatchActivity), new SynthesisBatch(job.JobId, job.Input, ids), Retry)).ToList();
        // A batch that still fails after its retries costs its own chunks, not the job: the rest is assembled, and the
        // report counts the chunks without a result.
        foreach (var batch in batches)
        {
            try
            {
                await batch;
            }
            catch (TaskFailedException e) when (!IsPermanent(e))
            {
            }
            catch (TaskFailedException e)
            {
                Fail(context, "synthesize", e.FailureDetails.ErrorMessage);
            }
        }
        var summary = await Call<SynthesisSummary>(context, "synthesize", nameof(AssembleSynthesisActivity), job);
        SetStatus(context, new JobProgress
        {
            Stage = "synthesize", Progress = 1, Chunks = summary.Chunks, FailedChunks = summary.FailedChunks, Pairs = summary.Pairs,
        });
        if (summary.Pairs == 0)
            Fail(context, "synthesize", $"synthesis produced no usable Q&A pairs from {job.Input.Source.Name} ({summary.FailedChunks} of {summary.Chunks} chunks failed)",
                JobPaths.SynthesisReportFile);
        return summary;
    }

    /// <summary>Starts the run, then checks it on durable timers (growing from TrainingPollInterval to MaxTrainingPollInterval) until it ends.</summary>
    private async Task RunOnBackendAsync(TaskOrchestrationContext context, JobRequest job, string verb, string stage)
    {
        SetStatus(context, new JobProgress { Stage = stage, Message = $"{verb} starting" });
        var run = await Call<TrainingRun>(context, stage, nameof(StartRunActivity), new RunRequest(job.JobId, job.Input, verb));
        var interval = _options.TrainingPollInterval;
        var restarts = 0;
        var deadline = context.CurrentUtcDateTime + _options.MaxRunDuration;
        while (context.CurrentUtcDateTime < deadline)
        {
            await context.CreateTimer(interval, CancellationToken.None);
            interval = TimeSpan.FromTicks(Math.Min(_options.MaxTrainingPollInterval.Ticks, (long)(interval.Ticks * 1.25)));
            var progress = await Call<TrainingProgress>(context, stage, nameof(GetRunProgressActivity), new RunProgressRequest(job.JobId, verb, run));
            switch (progress.State)
            {
                case TrainingRunState.Succeeded:
                    SetStatus(context, new JobProgress { Stage = stage, Progress = 1, Step = progress.Step, Loss = progress.Loss, Epoch = progress.Epoch });
                    return;
                case TrainingRunState.Failed:
                    Fail(context, stage, $"{verb} failed on the {run.Backend} backend: {progress.Message}");
                    break;
                case TrainingRunState.Lost when restarts < 5:
                    // The host that ran it is gone: start it again; the run resumes from its checkpoints.
                    restarts++;
                    run = await Call<TrainingRun>(context, stage, nameof(StartRunActivity), new RunRequest(job.JobId, job.Input, verb));
                    interval = _options.TrainingPollInterval;
                    break;
                case TrainingRunState.Lost:
                    Fail(context, stage, $"{verb} was lost {restarts} times on the {run.Backend} backend: {progress.Message}");
                    break;
                default:
                    SetStatus(context, new JobProgress
                    {
                        Stage = stage, Progress = progress.Progress ?? 0, Step = progress.Step, Loss = progress.Loss, Epoch = progress.Epoch, Message = progress.Message,
                    });
                    break;
            }
        }
        await context.CallActivityAsync(nameof(CancelRunActivity), new RunProgressRequest(job.JobId, verb, run), Retry);
        Fail(context, stage, $"{verb} ran longer than {_options.MaxRunDuration.TotalHours:0.#} h (Pipeline:MaxRunDuration) and was stopped");
    }

    /// <summary>Approve or reject raced against the manifest's approval timeout; listened for only here.</summary>
    private async Task<string> WaitForApprovalAsync(TaskOrchestrationContext context, JobRequest job, JobProgress scores)
    {
        var name = job.Input.Manifest.DeploymentName ?? JobPaths.DefaultDeploymentName(job.JobId);
        SetStatus(context, scores with { WaitingFor = Approve, Message = $"raise \"approve\" or \"reject\" to deploy {name} ({scores.GateReason})" });
        using var cts = new CancellationTokenSource();
        var approve = context.WaitForExternalEvent<object?>(Approve, cts.Token);
        var reject = context.WaitForExternalEvent<object?>(Reject, cts.Token);
        var timeout = TimeSpan.FromHours(job.Input.Manifest.ApprovalTimeoutHours);
        var timer = context.CreateTimer(timeout, cts.Token);
        var first = await Task.WhenAny(approve, reject, timer);
        cts.Cancel();
        if (first != timer)
            _decision = first == approve ? Approve : Reject;
        if (first == timer)
            Fail(context, "gate", $"no approve or reject within {timeout.TotalHours:0.##} h (approvalTimeoutHours)", null, scores);
        return first == approve ? Approve : Reject;
    }

    /// <summary>Sets the custom status with the stage timeline: a new stage ends the last one; progress 1 ends the current one.</summary>
    private void SetStatus(TaskOrchestrationContext context, JobProgress progress)
    {
        var now = context.CurrentUtcDateTime;
        if (_stages.Count == 0 || _stages[^1].Stage != progress.Stage)
        {
            if (_stages.Count > 0 && _stages[^1].Completed is null) _stages[^1] = _stages[^1] with { Completed = now };
            _stages.Add(new StageTime(progress.Stage, now));
        }
        if (progress.WaitingFor is not null && _stages[^1].Waited is null) _stages[^1] = _stages[^1] with { Waited = now };
        if (progress.Progress >= 1 && _stages[^1].Completed is null) _stages[^1] = _stages[^1] with { Completed = now };
        context.SetCustomStatus(progress with { Stages = _stages.ToList() });
    }

    private async Task<T> Call<T>(TaskOrchestrationContext context, string stage, string activity, object input)
    {
        try
        {
            return await context.CallActivityAsync<T>(activity, input, Retry);
        }
        catch (TaskFailedException e)
        {
            var message = e.FailureDetails.ErrorMessage;
            Fail(context, stage, IsPermanent(e) ? message : $"{stage} failed after {_options.ActivityMaxAttempts} attempts: {message}");
            throw; // not reached
        }
    }

    private TaskOptions Retry => TaskOptions.FromRetryPolicy(new RetryPolicy(
        _options.ActivityMaxAttempts, _options.ActivityFirstRetry, backoffCoefficient: 2, maxRetryInterval: _options.ActivityMaxRetry)
    {
        HandleFailure = failure => failure.ErrorType != typeof(PermanentJobException).FullName,
    });

    private static bool IsPermanent(TaskFailedException e) => e.FailureDetails.ErrorType == typeof(PermanentJobException).FullName;

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Fail(TaskOrchestrationContext context, string stage, string reason, string? report = null, JobProgress? last = null)
    {
        SetStatus(context, (last ?? new JobProgress { Stage = stage }) with { Stage = stage, Error = reason, Report = report, WaitingFor = null });
        throw new JobFailedException(reason);
    }
}
