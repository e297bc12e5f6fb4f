using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Training;

namespace FineTune.Pipeline.Stages;

/// <summary>
/// Acts on the deployment gate the evaluator decided (tuned ≥ base + minImprovement, else the manifest's onGateFail:
/// wait, fail or deploy) and publishes the adapter as deployments/{name}.json (what serving reads), after an "approve"
/// event when the gate or the manifest (requireApproval) asks for one; "reject" ends the job Completed without
/// deploying. Both scores and the decision go into the status and the output. Needs a trained adapter, so without a
/// training backend it fails like Train.
/// </summary>
public sealed class DeployStage(ITrainingBackend backend) : IJobStage
{
    public JobStage Stage => JobStage.Deploy;

    public async Task<StageOutcome> RunAsync(StageContext context, CancellationToken ct)
    {
        if (backend is NotConfiguredTrainingBackend) return new StageOutcome.Failed(NotConfiguredTrainingBackend.Reason);
        var job = context.Job;
        var name = job.Input.Manifest.DeploymentName ?? $"ft-{job.Id[..12]}";
        // The evaluator applied the deployment gate (tuned ≥ base + minImprovement) and wrote its decision.
        var results = await context.Storage.Blobs.ReadTextAsync(Containers.Jobs, JobPaths.EvaluationResults(job.Id), ct);
        var gate = results is null ? null : (JsonNode.Parse(results) as JsonObject)?["gate"] as JsonObject;
        if (gate is null) return new StageOutcome.Failed($"evaluation results {Containers.Jobs}/{JobPaths.EvaluationResults(job.Id)} are missing or have no gate decision");
        var outcome = gate["outcome"]?.GetValue<string>() ?? "";
        var scores = new JsonObject
        {
            ["baseScore"] = gate["baseScore"]?.DeepClone(), ["tunedScore"] = gate["tunedScore"]?.DeepClone(),
            ["gate"] = outcome, ["gateReason"] = gate["reason"]?.DeepClone(),
        };
        if (outcome.Equals("Fail", StringComparison.OrdinalIgnoreCase))
            return new StageOutcome.Failed(gate["reason"]?.GetValue<string>() ?? "the deployment gate failed the job");
        bool needsApproval = job.Input.Manifest.RequireApproval || outcome.Equals("AwaitApproval", StringComparison.OrdinalIgnoreCase);
        if (needsApproval)
        {
            if (job.PendingEvents.Contains("reject", StringComparer.OrdinalIgnoreCase))
            {
                var rejected = scores.DeepClone().AsObject();
                rejected["deployed"] = false;
                rejected["reason"] = "rejected";
                return new StageOutcome.Completed(rejected);
            }
            if (!job.PendingEvents.Contains("approve", StringComparer.OrdinalIgnoreCase))
            {
                var waiting = scores.DeepClone().AsObject();
                waiting["waitingFor"] = "approve";
                waiting["message"] = $"raise \"approve\" or \"reject\" to deploy {name} ({gate["reason"]})";
                await context.ReportAsync(waiting, ct);
                return new StageOutcome.WaitForEvent("approve", "reject");
            }
        }
        var record = new JsonObject
        {
            ["name"] = name,
            ["jobId"] = job.Id,
            ["baseModel"] = job.Input.Manifest.BaseModel,
            ["adapter"] = $"{Containers.Adapters}/{JobPaths.AdapterFolder(job.Id)}",
            ["evaluation"] = $"{Containers.Jobs}/{JobPaths.EvaluationResults(job.Id)}",
            ["baseScore"] = gate["baseScore"]?.DeepClone(),
            ["tunedScore"] = gate["tunedScore"]?.DeepClone(),
        };
        await context.Storage.Blobs.UploadTextAsync(Containers.Deployments, $"{name}.json", record.ToJsonString(JobJson.Options), ct: ct);
        var output = scores.DeepClone().AsObject();
        output["deployed"] = true;
        output["deployment"] = name;
        output["adapter"] = record["adapter"]!.DeepClone();
        return new StageOutcome.Completed(output);
    }
}
