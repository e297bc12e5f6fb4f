using System.Diagnostics;
using FineTune.Models.Transformer;

namespace FineTune.Models.Generation;

public sealed record GenerationBenchResult(double PrefillTokensPerSecond, double DecodeTokensPerSecond, int Batch, int PromptTokens, int NewTokens);

/// <summary>
/// Greedy generation timed in two parts: prefill (prompt → first token) and decode (each further token),
/// through <see cref="Generator"/> with the KV cache, on random prompt ids.
/// </summary>
public static class GenerationBenchmark
{
    public static GenerationBenchResult Run(DecoderModel model, int batch, int promptTokens, int newTokens)
    {
        var rng = new Random(0);
        int[][] Prompts(int len) => Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, len).Select(_ => rng.Next(model.Config.VocabSize)).ToArray()).ToArray();
        var generator = new Generator(model);
        generator.Generate(Prompts(8), new SamplingOptions { MaxNewTokens = 2 });   // warm-up
        var prompts = Prompts(promptTokens);
        var sw = Stopwatch.StartNew();
        double firstToken = 0, lastToken = 0;
        int tokensOfFirst = 0;
        generator.Generate(prompts, new SamplingOptions { MaxNewTokens = newTokens }, onToken: (seq, _) =>
        {
            if (seq != 0) return;
            tokensOfFirst++;
            if (tokensOfFirst == 1) firstToken = sw.Elapsed.TotalSeconds;
            lastToken = sw.Elapsed.TotalSeconds;
        });
        var decodeSteps = tokensOfFirst - 1;
        return new GenerationBenchResult(
            Math.Round(batch * promptTokens / firstToken, 1),
            decodeSteps > 0 ? Math.Round(batch * decodeSteps / (lastToken - firstToken), 1) : 0,
            batch, promptTokens, newTokens);
    }
}
