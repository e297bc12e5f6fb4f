using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using Microsoft.DurableTask;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// The deployment gate the evaluator decided (tuned ≥ base + minImprovement, else the manifest's onGateFail: wait, fail or
/// deploy), read from jobs/{id}/evaluate/results.json with both scores.
/// </summary>
public sealed class ReadGateActivity(StorageAccount storage) : TaskActivity<JobRequest, GateDecision>
{
    public override async Task<GateDecision> RunAsync(TaskActivityContext context, JobRequest job)
    {
        var results = await EvaluationResultsBlob.ReadAsync(storage, job.JobId)
            ?? throw new PermanentJobException($"evaluation results {EvaluationResultsBlob.Address(job.JobId)} are missing");
        return new GateDecision(results.Gate.Outcome, results.Gate.Reason, results.Gate.BaseScore, results.Gate.TunedScore);
    }
}
