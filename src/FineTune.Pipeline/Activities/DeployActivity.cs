using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using Microsoft.DurableTask;

namespace FineTune.Pipeline.Activities;

/// <summary>Publishes the adapter as deployments/{name}.json, what serving reads (the same record written twice is the same deployment).</summary>
public sealed class DeployActivity(StorageAccount storage) : TaskActivity<JobRequest, DeployResult>
{
    public override async Task<DeployResult> RunAsync(TaskActivityContext context, JobRequest job)
    {
        var id = job.JobId;
        var manifest = job.Input.Manifest;
        var name = manifest.DeploymentName ?? JobPaths.DefaultDeploymentName(id);
        var gate = (await EvaluationResultsBlob.ReadAsync(storage, id))?.Gate;
        var adapter = $"{Containers.Adapters}/{JobPaths.AdapterFolder(id)}";
        var record = new JsonObject
        {
            ["name"] = name,
            ["jobId"] = id,
            ["baseModel"] = manifest.BaseModel,
            ["adapter"] = adapter,
            ["evaluation"] = EvaluationResultsBlob.Address(id),
            ["baseScore"] = gate?.BaseScore,
            ["tunedScore"] = gate?.TunedScore,
        };
        await storage.Blobs.UploadTextAsync(Containers.Deployments, $"{name}.json", record.ToJsonString(JobJson.Options));
        return new DeployResult(name, adapter);
    }
}
