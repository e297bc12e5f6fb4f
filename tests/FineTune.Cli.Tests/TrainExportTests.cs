using System.Text.Json;
using FineTune.Data;
using FineTune.Models.Lora;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Cli.Tests;

/// <summary>The engine's verbs end to end, as a user runs them: model init → train → export, and their exit codes.</summary>
public class TrainExportTests
{
    private static string Data(TempDir dir, int n = 12)
    {
        var path = dir["data.jsonl"];
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i => ChatJsonl.ToJsonLine(ChatExample.Of(
            new ChatMessage("user", $"Name item {i}."), new ChatMessage("assistant", $"Item {i} is number {i * 3}.")))));
        return path;
    }

    [Fact]
    public void InitTrainExport_MergedCheckpointGivesTheSameLogitsAsBasePlusAdapter()
    {
        using var dir = new TempDir();
        var init = Cli.Run("model", "init", "--arch", "llama", "--out", dir["base"]);
        Assert.True(init.ExitCode == 0, init.Stderr);
        var train = Cli.Run("train", "--model", dir["base"], "--data", Data(dir), "--out", dir["run"], "--epochs", "2", "--batch-size", "4",
            "--lr", "0.01", "--lora-rank", "4", "--log-every", "1", "--val-count", "2");
        Assert.True(train.ExitCode == 0, train.Stderr);
        // the lines the local training backend reads, through its reader
        Assert.Equal(6, train.Stdout.Split('\n').Count(l => FineTune.Training.Contract.RunProgress.FromLine(l.TrimEnd('\r')) is { Step: > 0 }));
        Assert.Contains("epoch 2: train loss", train.Stdout);
        using (var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir["run"], "result.json"))))
        {
            Assert.Equal(2, result.RootElement.GetProperty("epochs").GetInt32());
            Assert.Equal(10, result.RootElement.GetProperty("examples").GetInt32());
            Assert.Equal(2, result.RootElement.GetProperty("validation_examples").GetInt32());
        }
        Assert.True(File.Exists(Path.Combine(dir["run"], "checkpoints", "epoch-1", "adapter_model.safetensors")));
        Assert.Equal(6, File.ReadLines(Path.Combine(dir["run"], "metrics.jsonl")).Count(l => l.Contains("\"type\":\"step\"")));   // 10 examples / batch 4 = 3 steps × 2 epochs

        var export = Cli.Run("export", "--model", dir["base"], "--adapter", Path.Combine(dir["run"], "adapter"), "--out", dir["merged"], "--max-shard-size", "200KB");
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.True(File.Exists(Path.Combine(dir["merged"], "model.safetensors.index.json")), "a 200 KB shard limit must shard the checkpoint");
        Assert.True(File.Exists(Path.Combine(dir["merged"], "tokenizer.json")));

        using var ids = Tensor.From(new long[] { 1, 40, 99, 7, 300, 12, 5, 64 }, 1, 8);
        float[] Logits(DecoderModel m)
        {
            using var s = DisposeScope.Begin();
            using var g = LibTorch.NoGrad();
            return m.Forward(ids).ToArray<float>();
        }
        float[] adapted, merged, bare;
        using (var m = ModelLoader.Load(dir["base"]))
        {
            bare = Logits(m);
            using var a = LoraAdapter.Load(Path.Combine(dir["run"], "adapter"), m);
            a.AttachTo(m);
            adapted = Logits(m);
        }
        using (var m = ModelLoader.Load(dir["merged"]))
            merged = Logits(m);
        Assert.True(adapted.Zip(bare).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "training should have changed the model");
        var err = adapted.Zip(merged).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(err < 1e-4, $"merged vs base+adapter logits differ by {err}");
    }

    [Fact]
    public void Train_BadData_Exits1NamingTheLine_AndBadSettings_Exit2()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Cli.Run("model", "init", "--arch", "qwen2", "--out", dir["base"]).ExitCode);
        var bad = dir["bad.jsonl"];
        File.WriteAllText(bad, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}\n{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}\n");
        var r = Cli.Run("train", "--model", dir["base"], "--data", bad, "--out", dir["out"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("line 2", r.Stderr);
        var lr = Cli.Run("train", "--model", dir["base"], "--data", Data(dir), "--out", dir["out"], "--lr", "0.5");
        Assert.Equal(2, lr.ExitCode);
        Assert.Contains("learning_rate must be in (0, 0.1]", lr.Stderr);
        Assert.Equal(2, Cli.Run("train", "--model", dir["base"]).ExitCode);
        Assert.Equal(2, Cli.Run("model", "init", "--arch", "gpt2", "--out", dir["x"]).ExitCode);
    }
}
