using H = FineTune.Training.HyperparameterTable;
namespace FineTune.Training.Tests;

/// <summary>A run stopped mid-epoch and resumed from its last epoch checkpoint ends where an uninterrupted run does.</summary>
public class ResumeTests
{
    private static TrainingSpec Spec(TempDir dir, string model, string data, string output) => new()
    {
        Model = model,
        Data = data,
        Output = dir[output],
        Expert = true,
        LogEvery = 1,
        ValidationCount = 4,
        Device = "cpu",
        Threads = 1,
        Hyperparameters = new HyperparameterOverrides
        {
            { H.LearningRate, 5e-3 }, { H.Epochs, 4 }, { H.BatchSize, 4 }, { H.LoraRank, 8 }, { H.LoraAlpha, 16 },
            { H.LoraDropout, 0.1 },   // dropout draws from the RNG, so the RNG state must be restored too
            { H.WarmupRatio, 0.1 }, { H.Scheduler, "cosine" },
        },
    };

    [Fact]
    public async Task KilledMidEpoch_ThenResumed_ReachesTheSameLosses()
    {
        using var dir = new TempDir();
        var model = TestModels.Tiny(dir, "qwen2");
        var data = TestModels.WriteJsonl(dir, "train.jsonl", TestModels.QaPairs());

        TrainingResult straight;
        using (var t = new LoraTrainer(Spec(dir, model, data, "straight")))
        {
            await t.SetupAsync();
            straight = t.Train();
        }

        // Stop in the middle of epoch 3 (4 steps per epoch: 16 training examples / batch 4).
        var spec = Spec(dir, model, data, "resumed");
        using var cts = new CancellationTokenSource();
        using (var t = new LoraTrainer(spec, e => { if (e is StepMetrics { Step: 10 }) cts.Cancel(); }))
        {
            await t.SetupAsync();
            Assert.ThrowsAny<OperationCanceledException>(() => t.Train(ct: cts.Token));
        }
        Assert.Equal(2, TrainingCheckpoint.Latest(spec.Output));

        TrainingResult resumed;
        using (var t = new LoraTrainer(spec))
        {
            await t.SetupAsync();
            resumed = t.Train(resume: true);
        }
        Assert.Equal(straight.Steps, resumed.Steps);
        Assert.Equal(4, resumed.Epochs);
        Assert.True(Math.Abs(straight.LastEpochMeanLoss!.Value - resumed.LastEpochMeanLoss!.Value) <= 1e-5,
            $"last epoch mean loss {straight.LastEpochMeanLoss} vs resumed {resumed.LastEpochMeanLoss}");
        Assert.True(Math.Abs(straight.ValidationLoss!.Value - resumed.ValidationLoss!.Value) <= 1e-5);
        Assert.Equal(straight.TokensTrained, resumed.TokensTrained);
        // the adapters themselves agree
        var a = File.ReadAllBytes(Path.Combine(straight.Adapter, "adapter_model.safetensors"));
        var b = File.ReadAllBytes(Path.Combine(resumed.Adapter, "adapter_model.safetensors"));
        Assert.Equal(a, b);
        // Every adapter written names the base it was trained on (serving refuses it on another).
        var trainedOn = FineTune.Models.Lora.BaseModelIdentity.Of(model);
        Assert.NotEmpty(straight.Checkpoints);
        foreach (var folder in straight.Checkpoints.Append(straight.Adapter).Append(resumed.Adapter))
            Assert.Equal(trainedOn, FineTune.Models.Lora.BaseModelIdentity.Read(folder));
    }
}
