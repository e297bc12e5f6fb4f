using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Training;

namespace FineTune.Pipeline.Stages;

/// <summary>Base vs tuned evaluation on the validation set, by the same backend; results in jobs/{id}/evaluate/results.json.</summary>
public sealed class EvaluateStage(ITrainingBackend backend) : BackendTaskStage(backend)
{
    public override JobStage Stage => JobStage.Evaluate;
    protected override string Verb => "eval";
    protected override JobStage NextStage => JobStage.Deploy;
    protected override string SpecName(string jobId) => $"{jobId}/evaluate/spec.json";

    protected override JsonObject Spec(StageContext context)
    {
        var id = context.JobId;
        return new JsonObject
        {
            ["jobId"] = id,
            ["baseModel"] = context.Job.Input.Manifest.BaseModel,
            ["adapter"] = $"{Containers.Adapters}/{JobPaths.AdapterFolder(id)}",
            ["data"] = $"{Containers.Datasets}/{JobPaths.ValidationData(id)}",
            ["results"] = $"{Containers.Jobs}/{JobPaths.EvaluationResults(id)}",
            ["minImprovement"] = context.Job.Input.Manifest.MinImprovement,
            ["onGateFail"] = context.Job.Input.Manifest.OnGateFail,
        };
    }
}
