using System.Text.Json.Nodes;
using FineTune.Data;
using FineTune.Pipeline.Storage;

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
        var spec = new JsonObject
        {
            ["jobId"] = "job1", ["baseModel"] = "models/tiny", ["preset"] = "fast",
            ["hyperparameters"] = new JsonObject { ["epochs"] = 2, ["batch_size"] = 4, ["learningRate"] = 0.01 },
            ["train"] = "datasets/job1/train.jsonl", ["validation"] = "datasets/job1/validation.jsonl",
            ["output"] = "adapters/job1", ["metrics"] = "jobs/job1/train/metrics.jsonl",
        };
        await store.Blobs.UploadTextAsync("jobs", "job1/train/spec.json", spec.ToJsonString());
        var env = new Dictionary<string, string> { ["FINETUNE_STORAGE"] = azurite.ConnectionString };

        var r = Cli.Run(["train", "--spec", "jobs/job1/train/spec.json"], env);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("progress fraction=1.0000 step=4", r.Stdout);
        Assert.NotNull(await store.Blobs.GetPropertiesAsync("adapters", "job1/adapter_model.safetensors"));
        Assert.NotNull(await store.Blobs.GetPropertiesAsync("adapters", "job1/adapter_config.json"));
        Assert.NotNull(await store.Blobs.GetPropertiesAsync("adapters", "job1/checkpoints/epoch-2/adapter_model.safetensors"));
        var metrics = await store.Blobs.ReadTextAsync("jobs", "job1/train/metrics.jsonl");
        var last = JsonNode.Parse(metrics!.Trim().Split('\n').Last())!;
        Assert.Equal(4, last["step"]!.GetValue<int>());
        Assert.Equal(1.0, last["progress"]!.GetValue<double>());
        var result = JsonNode.Parse((await store.Blobs.ReadTextAsync("adapters", "job1/result.json"))!)!;
        Assert.Equal(2, result["epochs"]!.GetValue<int>());

        // Started again (the host lost the process): it finds both checkpoints and has nothing left to train.
        var again = Cli.Run(["train", "--spec", "jobs/job1/train/spec.json"], env);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.DoesNotContain("progress fraction", again.Stdout);

        // A typo in the manifest's hyperparameters is a usage error naming it.
        spec["hyperparameters"]!["learning_rat"] = 0.1;
        await store.Blobs.UploadTextAsync("jobs", "job1/train/spec.json", spec.ToJsonString());
        var typo = Cli.Run(["train", "--spec", "jobs/job1/train/spec.json"], env);
        Assert.NotEqual(0, typo.ExitCode);
        Assert.Contains("unknown hyperparameter 'learning_rat'", typo.Stderr);
        }
        finally
        {
            await azurite.DisposeAsync();
        }
    }
}
