using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Data;
using FineTune.Pipeline.Storage;
using FineTune.Training;
using FineTune.Training.Contract;

namespace FineTune.Cli.Tests;

/// <summary>
/// `finetune train --spec container/name` as the pipeline's local backend starts it: the spec, data and base
/// model live in storage (a real Azurite here), progress goes to stdout and the metrics blob, and
/// the adapter, checkpoints and result land under the spec's output; a second start resumes.
/// </summary>
public class StorageTrainingTests
{
    [Fact]
    public async Task Train_FromStorageSpec_WritesAdapterMetricsAndCheckpointsBack_AndResumes()
    {
        using var dir = new TempDir();
        var azurite = new FineTune.Tests.Support.Azurite();
        await azurite.InitializeAsync();
        try
        {
        Assert.Equal(0, Cli.Run("model", "init", "--arch", "qwen2", "--out", dir["base"]).ExitCode);
        var store = StorageAccount.FromSetting(azurite.ConnectionString);
        await store.EnsureCreatedAsync();
        // the base model lives in storage too, as models/tiny/…
        foreach (var f in Directory.GetFiles(dir["base"]))
            await store.Blobs.UploadBytesAsync("models", $"tiny/{Path.GetFileName(f)}", await File.ReadAllBytesAsync(f));
        var lines = Enumerable.Range(0, 8).Select(i => ChatJsonl.ToJsonLine(ChatExample.Of(
            new ChatMessage("user", $"Say {i}."), new ChatMessage("assistant", $"{i} said."))));
        await store.Blobs.UploadTextAsync("datasets", "job1/train.jsonl", string.Join("\n", lines) + "\n");
        // The spec as the pipeline writes it: the typed record through the shared contract; the manifest's keys as users write them.
        using var manifestKeys = JsonDocument.Parse("""{"epochs": 2, "batch_size": 4, "learningRate": 0.01}""");
        var typed = new TrainingRunSpec
        {
            JobId = "job1", BaseModel = "models/tiny", Preset = "fast", Hyperparameters = HyperparameterOverrides.Parse(manifestKeys.RootElement),
            Train = "datasets/job1/train.jsonl", Validation = "datasets/job1/validation.jsonl",
            Output = "adapters/job1", Metrics = "jobs/job1/train/metrics.jsonl", LogEvery = 1,
        };
        var spec = JsonNode.Parse(JsonSerializer.Serialize(typed, RunContractJson.Indented.TrainingRunSpec))!.AsObject();
        Assert.Equal("""{"learning_rate":0.01,"epochs":2,"batch_size":4}""", spec["hyperparameters"]!.ToJsonString());   // canonical names, table order
        await store.Blobs.UploadTextAsync("jobs", "job1/train/spec.json", spec.ToJsonString());
        var env = new Dictionary<string, string> { ["FINETUNE_STORAGE"] = azurite.ConnectionString };

        var r = Cli.Run(["train", "--spec", "jobs/job1/train/spec.json"], env);
        Assert.True(r.ExitCode == 0, r.Stderr);
        // What the local backend reads: the trainer's progress lines, through the contract's reader.
        var progress = r.Stdout.Split('\n').Select(l => RunProgress.FromLine(l.TrimEnd('\r'))).OfType<RunProgress>().ToList();
        Assert.Equal([1, 2, 3, 4], progress.Select(p => p.Step));
        Assert.Equal((1.0, 4L, 2.0), (progress[^1].Fraction, progress[^1].TotalSteps, progress[^1].Epoch));
        Assert.NotNull(await store.Blobs.GetPropertiesAsync("adapters", "job1/adapter_model.safetensors"));
        Assert.NotNull(await store.Blobs.GetPropertiesAsync("adapters", "job1/adapter_config.json"));
        Assert.NotNull(await store.Blobs.GetPropertiesAsync("adapters", "job1/checkpoints/epoch-2/adapter_model.safetensors"));
        var metrics = await store.Blobs.ReadTextAsync("jobs", "job1/train/metrics.jsonl");
        // What the pipeline's progress check reads: the trainer's metrics lines, through the contract's reader.
        var metricLines = MetricsLine.ParseAll(metrics).ToList();
        Assert.Equal([1, 2, 3, 4], metricLines.OfType<StepMetrics>().Select(m => m.Step));
        Assert.Equal(1.0, metricLines.OfType<StepMetrics>().Last().Progress);
        Assert.Equal([1, 2], metricLines.OfType<EpochMetrics>().Select(m => m.Epoch));
        var result = JsonNode.Parse((await store.Blobs.ReadTextAsync("adapters", "job1/result.json"))!)!;
        Assert.Equal(2, result["epochs"]!.GetValue<int>());

        // Started again (the host lost the process): it finds both checkpoints and has nothing left to train.
        var again = Cli.Run(["train", "--spec", "jobs/job1/train/spec.json"], env);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.DoesNotContain(RunProgress.LinePrefix, again.Stdout);

        // A typo in the manifest's hyperparameters is a usage error naming it.
        spec["hyperparameters"]!["learning_rat"] = 0.1;
        await store.Blobs.UploadTextAsync("jobs", "job1/train/spec.json", spec.ToJsonString());
        var typo = Cli.Run(["train", "--spec", "jobs/job1/train/spec.json"], env);
        Assert.NotEqual(0, typo.ExitCode);
        Assert.Contains("unknown hyperparameter 'learning_rat'", typo.Stderr);

        // A field outside the contract (an older pipeline's camelCase spec) is refused, naming it.
        spec["hyperparameters"]!.AsObject().Remove("learning_rat");
        spec["jobId"] = "job1";
        await store.Blobs.UploadTextAsync("jobs", "job1/train/spec.json", spec.ToJsonString());
        var unknown = Cli.Run(["train", "--spec", "jobs/job1/train/spec.json"], env);
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("does not match the TrainingRunSpec contract", unknown.Stderr);
        Assert.Contains("'jobId'", unknown.Stderr);
        }
        finally
        {
            await azurite.DisposeAsync();
        }
    }
}
