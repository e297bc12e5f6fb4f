using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Training;

namespace FineTune.Pipeline.Stages;

/// <summary>
/// Publishes the adapter as deployments/{name}.json (what serving reads), after an "approve" event when the manifest
/// asks for a gate; "reject" ends the job Completed without deploying. Needs a trained adapter, so without a training
/// backend it fails like Train.
/// </summary>
public sealed class DeployStage(ITrainingBackend backend) : IJobStage
{
    public JobStage Stage => JobStage.Deploy;

    public async Task<StageOutcome> RunAsync(StageContext context, CancellationToken ct)
    {
        if (backend is NotConfiguredTrainingBackend) return new StageOutcome.Failed(NotConfiguredTrainingBackend.Reason);
        var job = context.Job;
        var name = job.Input.Manifest.DeploymentName ?? $"ft-{job.Id[..12]}";
        if (job.Input.Manifest.RequireApproval)
        {
            if (job.PendingEvents.Contains("reject", StringComparer.OrdinalIgnoreCase))
                return new StageOutcome.Completed(new JsonObject { ["deployed"] = false, ["reason"] = "rejected" });
            if (!job.PendingEvents.Contains("approve", StringComparer.OrdinalIgnoreCase))
            {
                await context.ReportAsync(new JsonObject { ["waitingFor"] = "approve", ["message"] = $"raise \"approve\" or \"reject\" to deploy {name}" }, ct);
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
        };
        await context.Storage.Blobs.UploadTextAsync(Containers.Deployments, $"{name}.json", record.ToJsonString(JobJson.Options), ct: ct);
        return new StageOutcome.Completed(new JsonObject { ["deployed"] = true, ["deployment"] = name, ["adapter"] = record["adapter"]!.DeepClone() });
    }
}
