using FineTune.Models.Chat;
using FineTune.Models.Generation;
using FineTune.Models.Lora;
using FineTune.Models.Tokenization;
using FineTune.Models.Transformer;

namespace FineTune.Training.Tests;

/// <summary>
/// The trainer can learn: a tiny random Qwen2 / Llama with a LoRA adapter memorises 20 Q&A pairs
/// (training loss under 0.05), and greedy generation with the saved adapter then reproduces every answer.
/// </summary>
public class OverfitTests
{
    [Theory]
    [InlineData("qwen2")]
    [InlineData("llama")]
    public async Task TinyModel_Memorises20Pairs_AndGeneratesEveryAnswer(string family)
    {
        using var dir = new TempDir();
        var model = TestModels.Tiny(dir, family);
        var pairs = TestModels.QaPairs();
        var spec = new TrainingSpec
        {
            Model = model,
            Data = TestModels.WriteJsonl(dir, "train.jsonl", pairs),
            Output = dir["out"],
            Expert = true,
            LogEvery = 20,
            Hyperparameters = new HyperparameterOverrides
            {
                LearningRate = 1e-2, Epochs = 80, BatchSize = 4, LoraRank = 32, LoraAlpha = 64, LoraDropout = 0,
                WarmupRatio = 0.05, Scheduler = "linear", MaxGradNorm = 1.0,
            },
        };
        TrainingResult result;
        using (var trainer = new LoraTrainer(spec))
        {
            await trainer.SetupAsync();
            result = trainer.Train();
        }
        Assert.True(result.FinalLoss < 0.05, $"{family}: final training loss {result.FinalLoss} ≥ 0.05\n" + string.Join("\n", File.ReadLines(Path.Combine(spec.Output, "metrics.jsonl")).Where(l => l.Contains("\"epoch\",")).TakeLast(6)));
        Assert.Equal(80, result.Epochs);
        Assert.True(File.Exists(Path.Combine(result.Adapter, "adapter_model.safetensors")));

        // Generate from the saved adapter, as a user would.
        using var m = ModelLoader.Load(model);
        using var adapter = LoraAdapter.Load(result.Adapter, m);
        adapter.AttachTo(m);
        var tokenizer = Tokenizer.Load(model);
        var template = ChatTemplate.ForTokenizer(tokenizer);
        var prompts = pairs.Select(p => template.Render([("user", p.Messages[0].Content)], addGenerationPrompt: true).ids).ToList();
        var outputs = new Generator(m).Generate(prompts,
            new SamplingOptions { MaxNewTokens = 24, EosTokenIds = [template.EndOfTurnTokenId] });
        for (int i = 0; i < pairs.Count; i++)
        {
            Assert.Equal(FinishReason.Stop, outputs[i].FinishReason);
            Assert.Equal(pairs[i].Messages[1].Content, tokenizer.Decode(outputs[i].Tokens));
        }
    }
}
