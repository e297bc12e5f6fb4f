using System.Text.Json.Nodes;
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
        var results = await storage.Blobs.ReadTextAsync(Containers.Jobs, JobPaths.EvaluationResults(job.JobId));
        var gate = results is null ? null : (JsonNode.Parse(results) as JsonObject)?["gate"] as JsonObject;
        if (gate is null)
            throw new PermanentJobException($"evaluation results {Containers.Jobs}/{JobPaths.EvaluationResults(job.JobId)} are missing or have no gate decision");
        var outcome = gate["outcome"]?.GetValue<string>() ?? "";
        outcome = outcome.ToLowerInvariant() switch { "deploy" => "Deploy", "awaitapproval" => "AwaitApproval", "fail" => "Fail", _ => outcome };
        return new GateDecision(outcome, gate["reason"]?.GetValue<string>() ?? "", gate["baseScore"]?.GetValue<double>(), gate["tunedScore"]?.GetValue<double>());
    }
}
