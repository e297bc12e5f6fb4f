using System.Text.Json;
using FineTune.Models.Chat;
using FineTune.Models.Tokenization;
using H = FineTune.Training.HyperparameterTable;

namespace FineTune.Training.Tests;

/// <summary>result.json reports the mean training loss over the last epoch and the validation loss, not the last batch's loss.</summary>
public class TrainingResultTests
{
    [Fact]
    public async Task Train_NearZeroLearningRate_LastEpochMeanLossIsTheMeanOverEveryExample_AndValidationLossTheHeldOutMean()
    {
        using var dir = new TempDir();
        var model = TestModels.Tiny(dir, "qwen2");
        var pairs = TestModels.QaPairs();
        var spec = new TrainingSpec
        {
            Model = model,
            Data = TestModels.WriteJsonl(dir, "train.jsonl", pairs[..16]),
            ValidationData = TestModels.WriteJsonl(dir, "val.jsonl", pairs[16..]),
            Output = dir["out"],
            Expert = true,
            LogEvery = 1,
            Device = "cpu",
            Threads = 1,
            // The adapter starts as a no-op (B = 0) and a 1e-12 step leaves it one, so every batch's loss is the base
            // model's: the epoch's mean over all 16 examples differs from any one batch's, and can be recomputed.
            Hyperparameters = new HyperparameterOverrides { { H.LearningRate, 1e-12 }, { H.Epochs, 2 }, { H.BatchSize, 3 }, { H.LoraDropout, 0 }, { H.WarmupRatio, 0 } },
        };
        using var trainer = new LoraTrainer(spec);
        await trainer.SetupAsync();
        var result = trainer.Train();

        var encoder = new ExampleEncoder(ChatTemplate.ForTokenizer(Tokenizer.Load(model)), trainer.Hyperparameters.MaxTokens, trainOnPrompt: false);
        double trainMean = trainer.Evaluate(encoder.EncodeAll(pairs[..16]));
        double validationMean = trainer.Evaluate(encoder.EncodeAll(pairs[16..]));
        var steps = File.ReadLines(Path.Combine(spec.Output, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "step")
            .Select(e => e.GetProperty("loss").GetDouble()).ToList();

        Assert.Equal(12, steps.Count);   // 16 examples in batches of 3: 6 steps per epoch
        Assert.NotNull(result.LastEpochMeanLoss);
        Assert.Equal(trainMean, result.LastEpochMeanLoss!.Value, 4);
        Assert.Equal(result.EpochHistory[^1].TrainLoss, result.LastEpochMeanLoss);
        Assert.True(Math.Abs(steps[^1] - trainMean) > 1e-3, $"the last batch's loss {steps[^1]} should differ from the epoch's mean {trainMean}");
        Assert.Equal(validationMean, result.ValidationLoss!.Value, 4);

        // result.json says the same under those names, and no longer carries the ambiguous final_loss.
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(spec.Output, "result.json")));
        Assert.Equal(result.LastEpochMeanLoss.Value, json.RootElement.GetProperty("last_epoch_mean_loss").GetDouble());
        Assert.Equal(result.ValidationLoss.Value, json.RootElement.GetProperty("validation_loss").GetDouble());
        Assert.False(json.RootElement.TryGetProperty("final_loss", out _));
    }
}
