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
    public static GenerationBenchResult Run(DecoderModel model, int batch, int promptTokens, int newTokens, int repeats = 3)
    {
        var rng = new Random(0);
        var prompts = Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, promptTokens).Select(_ => rng.Next(model.Config.VocabSize)).ToArray()).ToArray();
        var generator = new Generator(model);
        generator.Generate(prompts, new SamplingOptions { MaxNewTokens = 2 });   // warm-up on the timed shapes
        var prefill = new List<double>();
        var decode = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
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
            prefill.Add(batch * promptTokens / firstToken);
            if (tokensOfFirst > 1) decode.Add(batch * (tokensOfFirst - 1) / (lastToken - firstToken));
        }
        static double Median(List<double> xs) => xs.Count == 0 ? 0 : xs.Order().ElementAt(xs.Count / 2);
        return new GenerationBenchResult(Math.Round(Median(prefill), 1), Math.Round(Median(decode), 1), batch, promptTokens, newTokens);
    }
}
