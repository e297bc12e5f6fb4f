using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Training;

namespace FineTune.Pipeline.Stages;

/// <summary>LoRA training on the backend; the adapter lands in adapters/{id}/ (PEFT format), metrics in jobs/{id}/train/metrics.jsonl.</summary>
public sealed class TrainStage(ITrainingBackend backend) : BackendTaskStage(backend)
{
    public override JobStage Stage => JobStage.Train;
    protected override string Verb => "train";
    protected override JobStage NextStage => JobStage.Evaluate;
    protected override string SpecName(string jobId) => JobPaths.TrainSpec(jobId);
    protected override string? MetricsName(string jobId) => JobPaths.TrainMetrics(jobId);

    protected override JsonObject Spec(StageContext context)
    {
        var id = context.JobId;
        var manifest = context.Job.Input.Manifest;
        return new JsonObject
        {
            ["jobId"] = id,
            ["baseModel"] = manifest.BaseModel,
            ["preset"] = manifest.Preset,
            ["hyperparameters"] = manifest.Hyperparameters is null ? null : JsonSerializer.SerializeToNode(manifest.Hyperparameters, JobJson.Options),
            ["train"] = $"{Containers.Datasets}/{JobPaths.TrainData(id)}",
            ["validation"] = $"{Containers.Datasets}/{JobPaths.ValidationData(id)}",
            ["output"] = $"{Containers.Adapters}/{JobPaths.AdapterFolder(id)}",
            ["metrics"] = $"{Containers.Jobs}/{JobPaths.TrainMetrics(id)}",
        };
    }
}
