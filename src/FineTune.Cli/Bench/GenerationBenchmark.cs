using System.Diagnostics;
using FineTune.Models.Generation;
using FineTune.Models.Transformer;

namespace FineTune.Cli.Bench;

/// <summary>One repetition: prefill (prompt → first token) and decode (each further token) tokens/s.</summary>
public sealed record GenerationBenchResult(double PrefillTokensPerSecond, double DecodeTokensPerSecond);

/// <summary>
/// Greedy generation timed in two parts through <see cref="Generator"/> with the KV cache, on random prompt ids:
/// prefill is the time to the first token (the whole prompt's forward pass, cache set-up included), decode the time
/// from the first to the last token. A repetition generates three times and takes the median of each part, as the
/// PyTorch reference does within its process.
/// </summary>
public sealed class GenerationBenchmark(DecoderModel model, int batch, int promptTokens, int newTokens)
{
    private readonly int[][] _prompts = RandomPrompts(model.Config.VocabSize, batch, promptTokens);
    private readonly Generator _generator = new(model);

    public GenerationBenchResult Measure()
    {
        var runs = Enumerable.Range(0, 3).Select(_ => Once()).ToList();
        double Median(IEnumerable<double> xs) => xs.Order().ElementAt(1);
        return new GenerationBenchResult(Math.Round(Median(runs.Select(r => r.PrefillTokensPerSecond)), 1),
            Math.Round(Median(runs.Select(r => r.DecodeTokensPerSecond)), 1));
    }

    private GenerationBenchResult Once()
    {
        var sw = Stopwatch.StartNew();
        double firstToken = 0, lastToken = 0;
        int tokensOfFirst = 0;
        _generator.Generate(_prompts, new SamplingOptions { MaxNewTokens = newTokens }, onToken: (seq, _) =>
        {
            if (seq != 0) return;
            tokensOfFirst++;
            if (tokensOfFirst == 1) firstToken = sw.Elapsed.TotalSeconds;
            lastToken = sw.Elapsed.TotalSeconds;
        });
        double decode = tokensOfFirst > 1 ? batch * (tokensOfFirst - 1) / (lastToken - firstToken) : 0;
        return new GenerationBenchResult(batch * promptTokens / firstToken, decode);
    }

    private static int[][] RandomPrompts(int vocab, int batch, int length)
    {
        var rng = new Random(0);
        return Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, length).Select(_ => rng.Next(vocab)).ToArray()).ToArray();
    }
}
