using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Runs;
using Microsoft.DurableTask;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// Writes the spec of a training or evaluation run (jobs/{id}/train/spec.json or evaluate/spec.json) and starts the run on the
/// training backend, recording it at jobs/{id}/{verb}/run.json. Delivered twice, it finds the recorded run still going and
/// returns it instead of paying for a second one.
/// </summary>
public sealed class StartRunActivity(StorageAccount storage, ITrainingBackend backend) : TaskActivity<RunRequest, TrainingRun>
{
    public override async Task<TrainingRun> RunAsync(TaskActivityContext context, RunRequest request)
    {
        var ct = CancellationToken.None;
        var id = request.JobId;
        var record = JobPaths.RunRecord(id, request.Verb);
        if (await storage.Blobs.ReadBytesAsync(Containers.Jobs, record, ct) is { } stored
            && JsonSerializer.Deserialize<TrainingRun>(stored.Bytes, JobJson.Options) is { } existing
            && existing.Backend == backend.Name
            && (await backend.GetProgressAsync(existing, ct)).State is TrainingRunState.Running)
            return existing;

        var (specName, spec) = request.Verb switch
        {
            "train" => (JobPaths.TrainSpec(id), TrainSpec(id, request.Input.Manifest)),
            "eval" => (JobPaths.EvaluateSpec(id), EvalSpec(id, request.Input.Manifest)),
            _ => throw new PermanentJobException($"unknown run verb \"{request.Verb}\""),
        };
        await storage.Blobs.UploadTextAsync(Containers.Jobs, specName, spec.ToJsonString(JobJson.Options), ct: ct);
        var run = await backend.StartAsync(new TrainingTask(id, request.Verb, $"{Containers.Jobs}/{specName}"), ct);
        await storage.Blobs.UploadBytesAsync(Containers.Jobs, record, JsonSerializer.SerializeToUtf8Bytes(run, JobJson.Options), ct: ct);
        return run;
    }

    private static JsonObject TrainSpec(string id, JobManifest manifest) => new()
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

    private static JsonObject EvalSpec(string id, JobManifest manifest) => new()
    {
        ["jobId"] = id,
        ["baseModel"] = manifest.BaseModel,
        ["adapter"] = $"{Containers.Adapters}/{JobPaths.AdapterFolder(id)}",
        ["data"] = $"{Containers.Datasets}/{JobPaths.ValidationData(id)}",
        ["results"] = $"{Containers.Jobs}/{JobPaths.EvaluationResults(id)}",
        ["minImprovement"] = manifest.MinImprovement,
        ["onGateFail"] = manifest.OnGateFail,
    };
}
