using System.Text.Json;
using FineTune.Data;
using FineTune.Training.Evaluation;
using Xunit.Abstractions;
using H = FineTune.Training.HyperparameterTable;

namespace FineTune.Training.Tests.Evaluation;

/// <summary>
/// End to end on a tiny random Qwen2: fine-tune on synthetic GSM8K-style word problems
/// ("Sam has 8 pens. How many pens does Sam have?" → "Sam has 8 pens. #### 8"), then evaluate base, the first
/// epoch's checkpoint and the final adapter on held-out problems of the same form (name, thing and number
/// combinations never trained on). The answer copies the question's name, number and thing, a rule a
/// 2-layer model learns in a few hundred steps and applies to combinations it never saw; chance is 1 in 9.
/// </summary>
public class TunedBeatsBaseTests(ITestOutputHelper log)
{
    [Fact]
    public async Task TinyModel_FineTunedOnWordProblems_BeatsBaseOnHeldOutItems_AndReportMatchesItemFiles()
    {
        using var dir = new TempDir();
        var model = TestModels.Tiny(dir, "qwen2");
        var (train, heldOut) = WordProblems(seed: 7, heldOut: 24);
        var gsmPath = dir["heldout.gsm8k.jsonl"];
        File.WriteAllLines(gsmPath, heldOut.Select(p => JsonSerializer.Serialize(new { question = p.Question, answer = p.Answer })));

        TrainingResult trained;
        using (var trainer = new LoraTrainer(new TrainingSpec
        {
            Model = model,
            Data = TestModels.WriteJsonl(dir, "train.jsonl", train.Select(p => ChatExample.Of(new ChatMessage("user", p.Question), new ChatMessage("assistant", p.Answer)))),
            Output = dir["out"],
            Expert = true,
            LogEvery = 50,
            Device = "cpu",
            Threads = 1,
            Hyperparameters = new HyperparameterOverrides
            {
                { H.LearningRate, 1e-2 }, { H.Epochs, Epochs }, { H.BatchSize, 4 }, { H.LoraRank, 32 }, { H.LoraAlpha, 64 }, { H.LoraDropout, 0 },
                { H.WarmupRatio, 0.05 }, { H.Scheduler, "linear" },
            },
        }))
        {
            await trainer.SetupAsync();
            trained = trainer.Train();
        }

        var spec = new EvalSpec
        {
            Model = model,
            Adapters = [new AdapterRef("epoch-1", trained.EpochHistory[0].Checkpoint), new AdapterRef("tuned", trained.Adapter)],
            Output = dir["eval"],
            MaxNewTokens = 24,
            BatchSize = 8,
            Device = "cpu",
        };
        var progress = new List<EvalProgress>();
        var report = await Evaluator.RunAsync(spec, gsmPath, onProgress: progress.Add);

        var baseScore = report.Results["base"];
        var tuned = report.Results["tuned"];
        var summary = $"last epoch mean loss {trained.LastEpochMeanLoss}; " + string.Join("; ",
            report.Results.Select(r => $"{r.Key}: strict {r.Value.CorrectStrict}/{r.Value.Items}, flexible {r.Value.CorrectFlexible}/{r.Value.Items}"))
            + "\n" + string.Join("\n", File.ReadLines(report.PerItemFiles["tuned"]).Take(3));
        log.WriteLine(summary);
        Assert.True(tuned.FlexibleAccuracy > baseScore.FlexibleAccuracy, summary);
        Assert.True(tuned.StrictAccuracy > baseScore.StrictAccuracy, summary);
        Assert.True(tuned.FlexibleAccuracy >= 0.5, summary);   // it learnt the rule (chance is 1 in 9)
        Assert.Equal(GateOutcome.Deploy, DeploymentGate.Decide(report, "tuned", minImprovement: 0.5).Outcome);

        // The report agrees with a hand count of every per-item file, and the file with the data.
        Assert.Equal(["base", "epoch-1", "tuned"], report.Results.Keys);
        
        Assert.Equal(heldOut.Count, report.Items);
        foreach (var (name, score) in report.Results)
        {
            var lines = File.ReadAllLines(report.PerItemFiles[name]).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(heldOut.Count, lines.Count);
            int strict = 0, flexible = 0;
            long tokens = 0;
            for (int i = 0; i < lines.Count; i++)
            {
                var line = lines[i];
                Assert.Equal(i, line.GetProperty("index").GetInt32());
                Assert.EndsWith($"{heldOut[i].Question}<|im_end|>\n<|im_start|>assistant\n", line.GetProperty("prompt").GetString());
                Assert.Equal(heldOut[i].Sum.ToString(), line.GetProperty("reference").GetString());
                var output = line.GetProperty("output").GetString()!;
                // Recount from the output text by hand: "#### N" for strict, the last number for flexible.
                var marker = output.IndexOf("#### ", StringComparison.Ordinal);
                var marked = marker < 0 ? null : new string(output[(marker + 5)..].TakeWhile(c => char.IsAsciiDigit(c) || c is '-' or '.' or ',').ToArray());
                bool handStrict = marked is { Length: > 0 } && DropOneTrailingDot(marked.Replace(",", "")) == heldOut[i].Sum.ToString();
                Assert.Equal(handStrict, line.GetProperty("correct_strict").GetBoolean());
                if (line.GetProperty("correct_strict").GetBoolean()) strict++;
                if (line.GetProperty("correct_flexible").GetBoolean()) flexible++;
                tokens += line.GetProperty("tokens").GetInt32();
            }
            Assert.Equal((strict, flexible, heldOut.Count, tokens), (score.CorrectStrict, score.CorrectFlexible, score.Items, score.TokensGenerated));
            Assert.Equal(strict / (double)heldOut.Count, score.StrictAccuracy, 12);
            Assert.Equal(flexible / (double)heldOut.Count, score.FlexibleAccuracy, 12);
            Assert.True(score.Seconds > 0 && score.TokensPerS > 0, $"{name}: {score.Seconds} s, {score.TokensPerS} tok/s");
        }
        var saved = EvalReport.Load(Path.Combine(spec.Output, EvalReport.FileName));
        Assert.Equal(report.Results["tuned"], saved.Results["tuned"]);
        Assert.Equal(heldOut.Count, progress.Last(p => p.Variant == "tuned").Done);

        // Two shots from the same file: two fewer items, and the shots are prior turns of every prompt.
        var fewShot = await Evaluator.RunAsync(spec with { Adapters = [new AdapterRef("tuned", trained.Adapter)], Output = dir["eval-2shot"], Shots = 2 }, gsmPath);
        Assert.Equal((2, heldOut.Count - 2), (fewShot.Shots, fewShot.Items));
        var first = JsonDocument.Parse(File.ReadLines(fewShot.PerItemFiles["tuned"]).First()).RootElement.GetProperty("prompt").GetString()!;
        Assert.Contains($"<|im_start|>user\n{heldOut[0].Question}<|im_end|>\n<|im_start|>assistant\n{heldOut[0].Answer}<|im_end|>", first);
        Assert.EndsWith($"{heldOut[2].Question}<|im_end|>\n<|im_start|>assistant\n", first);
    }

    private const int Epochs = 16;

    private static string DropOneTrailingDot(string s) => s.EndsWith('.') ? s[..^1] : s;

    private sealed record Problem(string Question, string Answer, int Sum);


    /// <summary>Word problems "Tom has 7 apples. …" over names × things × 1..9, shuffled by a fixed seed; the first <paramref name="heldOut"/> are held out.</summary>
    private static (List<Problem> Train, List<Problem> HeldOut) WordProblems(int seed, int heldOut)
    {
        string[] names = ["Tom", "Ann", "Sam", "Mia", "Leo", "Zoe"];
        string[] things = ["apples", "pens", "cats", "books", "cups", "eggs"];
        var all = (from name in names from thing in things from n in Enumerable.Range(1, 9)
                   select new Problem($"{name} has {n} {thing}. How many {thing} does {name} have?", $"{name} has {n} {thing}. #### {n}", n)).ToArray();
        new Random(seed).Shuffle(all);
        return (all[heldOut..(heldOut + TrainCount)].ToList(), all[..heldOut].ToList());
    }

    private const int TrainCount = 60;
}
