using FineTune.Models.Chat;
using FineTune.Models.Generation;
using FineTune.Models.Lora;
using FineTune.Models.Tokenization;
using FineTune.Models.Transformer;
using FineTune.Torch;
using Xunit.Abstractions;
using H = FineTune.Training.HyperparameterTable;

namespace FineTune.Training.Tests;

/// <summary>
/// The trainer can learn: a tiny random Qwen2 / Llama with a LoRA adapter memorises 20 Q&amp;A pairs. Asserted is
/// what training guarantees, with margins, not bit-exact decoding: OpenBLAS picks its kernels by CPU model, so the
/// trained weights differ slightly from machine to machine, and a greedy decode that hinges on a near tie could
/// flip. So: the training loss is low, teacher-forced next-token accuracy over every answer token is high, and
/// greedy generation with the saved adapter regenerates most answers exactly.
/// </summary>
public class OverfitTests(ITestOutputHelper log)
{
    private const double MaxLoss = 0.05;
    private const double MinTokenAccuracy = 0.95;
    private const int MinExactAnswers = 17;   // of 20

    [Theory]
    [InlineData("qwen2")]
    [InlineData("llama")]
    public async Task TinyModel_TrainedOn20Pairs_PredictsTheirAnswerTokens_AndRegeneratesMostAnswers(string family)
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
            Device = "cpu",
            Threads = 1,
            Hyperparameters = new HyperparameterOverrides
            {
                { H.LearningRate, 1e-2 }, { H.Epochs, 80 }, { H.BatchSize, 4 }, { H.LoraRank, 32 }, { H.LoraAlpha, 64 }, { H.LoraDropout, 0 },
                { H.WarmupRatio, 0.05 }, { H.Scheduler, "linear" }, { H.MaxGradNorm, 1.0 },
            },
        };
        TrainingResult result;
        using (var trainer = new LoraTrainer(spec))
        {
            await trainer.SetupAsync();
            result = trainer.Train();
        }
        Assert.Equal(80, result.Epochs);
        Assert.True(File.Exists(Path.Combine(result.Adapter, "adapter_model.safetensors")));

        // Load the saved adapter, as a user would.
        using var m = ModelLoader.Load(model, Device.Cpu);
        using var adapter = LoraAdapter.Load(result.Adapter, m);
        adapter.AttachTo(m);
        m.SetTraining(false);
        var tokenizer = Tokenizer.Load(model);
        var template = ChatTemplate.ForTokenizer(tokenizer);

        var (correct, total, margin) = TeacherForcedAccuracy(m, new ExampleEncoder(template, 1024, trainOnPrompt: false).EncodeAll(pairs));
        double accuracy = correct / (double)total;

        var prompts = pairs.Select(p => template.Render([("user", p.Messages[0].Content)], addGenerationPrompt: true).ids).ToList();
        var outputs = new Generator(m).Generate(prompts, new SamplingOptions { MaxNewTokens = 24, EosTokenIds = [template.EndOfTurnTokenId] });
        var misses = Enumerable.Range(0, pairs.Count)
            .Where(i => outputs[i].FinishReason != FinishReason.Stop || tokenizer.Decode(outputs[i].Tokens) != pairs[i].Messages[1].Content)
            .Select(i => $"  expected \"{pairs[i].Messages[1].Content}\", got \"{tokenizer.Decode(outputs[i].Tokens)}\" ({outputs[i].FinishReason})")
            .ToList();
        int exact = pairs.Count - misses.Count;

        var summary = $"{family}: last epoch mean loss {result.LastEpochMeanLoss:0.00000} (max {MaxLoss}), teacher-forced token accuracy {accuracy:0.0000} " +
            $"= {correct}/{total} (min {MinTokenAccuracy}), smallest logit margin of the label over the runner-up {margin:0.000}, exact answers {exact}/{pairs.Count} (min {MinExactAnswers})" +
            (misses.Count > 0 ? "\n" + string.Join("\n", misses) : "");
        log.WriteLine(summary);
        Assert.True(result.LastEpochMeanLoss < MaxLoss, summary + "\n" + string.Join("\n",
            File.ReadLines(Path.Combine(spec.Output, "metrics.jsonl")).Where(l => l.Contains("\"epoch\",")).TakeLast(6)));
        Assert.True(accuracy >= MinTokenAccuracy, summary);
        Assert.True(exact >= MinExactAnswers, summary);
    }

    /// <summary>
    /// Next-token argmax against the label at every trained position (answer tokens and end of turn), and the
    /// smallest margin by which the label's logit beats the best other token (negative where it loses).
    /// </summary>
    private static (int Correct, int Total, double Margin) TeacherForcedAccuracy(DecoderModel model, IReadOnlyList<EncodedExample> examples)
    {
        using var noGrad = LibTorch.NoGrad();
        int correct = 0, total = 0;
        double margin = double.PositiveInfinity;
        foreach (var e in examples)
        {
            using var scope = DisposeScope.Begin();
            var ids = Tensor.From(e.Inputs.Select(i => (long)i).ToArray(), 1, e.Length);
            var logits = model.Forward(ids).ToArray<float>();   // (1, T, V)
            int V = logits.Length / e.Length;
            for (int t = 0; t < e.Length; t++)
            {
                if (e.Labels[t] == EncodedExample.IgnoreIndex) continue;
                var row = logits.AsSpan(t * V, V);
                float best = float.NegativeInfinity;
                for (int v = 0; v < V; v++)
                    if (v != e.Labels[t]) best = Math.Max(best, row[v]);
                double m = row[e.Labels[t]] - best;
                margin = Math.Min(margin, m);
                total++;
                if (m > 0) correct++;
            }
        }
        return (correct, total, margin);
    }
}
