using System.Text.Json;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Runs;
using FineTune.Training;
using FineTune.Training.Contract;
using Microsoft.DurableTask;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// Writes the spec of a training or evaluation run (<see cref="TrainingRunSpec"/> at jobs/{id}/train/spec.json,
/// <see cref="EvaluationRunSpec"/> at evaluate/spec.json) and starts the run on the
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
            "train" => (JobPaths.TrainSpec(id), JsonSerializer.Serialize(TrainSpec(id, request.Input.Manifest), RunContractJson.Indented.TrainingRunSpec)),
            "eval" => (JobPaths.EvaluateSpec(id), JsonSerializer.Serialize(EvalSpec(id, request.Input.Manifest), RunContractJson.Indented.EvaluationRunSpec)),
            _ => throw new PermanentJobException($"unknown run verb \"{request.Verb}\""),
        };
        await storage.Blobs.UploadTextAsync(Containers.Jobs, specName, spec, ct: ct);
        var run = await backend.StartAsync(new TrainingTask(id, request.Verb, $"{Containers.Jobs}/{specName}"), ct);
        await storage.Blobs.UploadBytesAsync(Containers.Jobs, record, JsonSerializer.SerializeToUtf8Bytes(run, JobJson.Options), ct: ct);
        return run;
    }

    private static TrainingRunSpec TrainSpec(string id, JobManifest manifest) => new()
    {
        JobId = id,
        BaseModel = manifest.BaseModel ?? throw new PermanentJobException("the manifest has no baseModel"),
        Preset = manifest.Preset ?? "standard",
        Hyperparameters = Overrides(manifest),
        Train = $"{Containers.Datasets}/{JobPaths.TrainData(id)}",
        Validation = $"{Containers.Datasets}/{JobPaths.ValidationData(id)}",
        Output = $"{Containers.Adapters}/{JobPaths.AdapterFolder(id)}",
        Metrics = $"{Containers.Jobs}/{JobPaths.TrainMetrics(id)}",
    };

    /// <summary>The manifest's hyperparameters with their canonical names (the manifest check has accepted them already).</summary>
    private static HyperparameterOverrides? Overrides(JobManifest manifest)
    {
        if (manifest.Hyperparameters is null) return null;
        try { return HyperparameterOverrides.Parse(manifest.Hyperparameters); }
        catch (ArgumentException e) { throw new PermanentJobException(e.Message); }
    }

    private static EvaluationRunSpec EvalSpec(string id, JobManifest manifest) => new()
    {
        JobId = id,
        BaseModel = manifest.BaseModel ?? throw new PermanentJobException("the manifest has no baseModel"),
        Adapter = $"{Containers.Adapters}/{JobPaths.AdapterFolder(id)}",
        Data = $"{Containers.Datasets}/{JobPaths.ValidationData(id)}",
        Results = $"{Containers.Jobs}/{JobPaths.EvaluationResults(id)}",
        MinImprovement = manifest.MinImprovement,
        OnGateFail = manifest.OnGateFail,
    };
}
