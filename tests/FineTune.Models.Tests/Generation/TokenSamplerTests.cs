using FineTune.Models.Generation;
using FineTune.Torch;
using Xunit.Abstractions;

namespace FineTune.Models.Tests.Generation;

/// <summary>
/// Sampling on the device against the probabilities computed here independently (in double): every token's share of
/// 10,000 fixed-seed draws, chi-square with a generous bound, and tokens cut by top-k / top-p never drawn.
/// </summary>
public class TokenSamplerTests(ITestOutputHelper log)
{
    private static readonly float[] Logits = [2.0f, 1.6f, 1.1f, 0.9f, 0.3f, -0.4f, -1.0f, -2.5f];
    private const int Rows = 400, Steps = 25;   // 10,000 draws: 400 sequences (a generator each) × 25 steps

    public static TheoryData<string, double, int, double, double> Cases => new()
    {
        { "plain", 1.0, 0, 1.0, 1.0 },
        { "cold top-k 3", 0.7, 3, 1.0, 1.0 },
        { "hot top-p 0.8", 1.3, 0, 0.8, 1.0 },
        { "top-k 5 then top-p 0.9", 1.0, 5, 0.9, 1.0 },
        { "penalty 1.5 on tokens 0 and 6", 1.0, 0, 1.0, 1.5 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sample_FixedSeed_DrawsTheExpectedDistribution(string name, double temperature, int topK, double topP, double penalty)
    {
        int[] seenTokens = [0, 6];
        var expected = Expected(Logits, temperature, topK, topP, penalty, seenTokens);
        var counts = new int[Logits.Length];
        var options = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, RepetitionPenalty = penalty, Seed = 2024 };
        using (var sampler = new TokenSampler(options, Rows, Device.Cpu))
        using (var logits = Tensor.From(Enumerable.Repeat(Logits, Rows).SelectMany(x => x).ToArray(), Rows, Logits.Length))
        using (var seen = SeenMask(Rows, Logits.Length, seenTokens))
        {
            var rows = Enumerable.Range(0, Rows).ToList();
            for (int step = 0; step < Steps; step++)
                foreach (var t in sampler.Sample(logits, penalty != 1.0 ? seen : null, rows))
                    counts[t]++;
        }
        const int n = Rows * Steps;
        double chi2 = 0;
        int df = -1;
        for (int v = 0; v < Logits.Length; v++)
        {
            if (expected[v] == 0) { Assert.True(counts[v] == 0, $"{name}: token {v} is cut off but was drawn {counts[v]} times"); continue; }
            chi2 += Math.Pow(counts[v] - n * expected[v], 2) / (n * expected[v]);
            df++;
        }
        log.WriteLine($"{name}: expected [{string.Join(", ", expected.Select(p => p.ToString("0.000")))}], " +
            $"drawn [{string.Join(", ", counts.Select(c => (c / (double)n).ToString("0.000")))}], chi² {chi2:0.0} on {df} df");
        // The 99.9th percentile of chi² is 24.3 at 7 df; the bound leaves room and still catches a wrong distribution
        // (a top-p cut one token off, or a temperature ignored, gives chi² in the hundreds).
        Assert.True(chi2 < 30, $"{name}: chi² {chi2:0.0} on {df} df; counts [{string.Join(", ", counts)}], expected [{string.Join(", ", expected.Select(p => (p * n).ToString("0")))}]");
    }

    [Fact]
    public void Sample_TopK1_IsTheArgmaxOfEveryRow()
    {
        LibTorch.ManualSeed(3);
        using var logits = Tensor.Randn([6, 50]);
        var all = logits.ToArray<float>();
        using var sampler = new TokenSampler(new SamplingOptions { Temperature = 1.7, TopK = 1, Seed = 5 }, 6, Device.Cpu);
        var picked = sampler.Sample(logits, null, [0, 1, 2, 3, 4, 5]);
        Assert.Equal(Enumerable.Range(0, 6).Select(b => TokenSampler.ArgMax(all.AsSpan(b * 50, 50))), picked);
    }

    [Fact]
    public void Sample_SameSeed_SameDraws_AndEvery64BitsOfTheSeedCounts()
    {
        int[] Draws(ulong seed)
        {
            using var logits = Tensor.From(Enumerable.Repeat(Logits, 4).SelectMany(x => x).ToArray(), 4, Logits.Length);
            using var sampler = new TokenSampler(new SamplingOptions { Temperature = 1.5, Seed = seed }, 4, Device.Cpu);
            return Enumerable.Range(0, 30).SelectMany(_ => sampler.Sample(logits, null, [0, 1, 2, 3])).ToArray();
        }
        var a = Draws(7);
        Assert.Equal(a, Draws(7));
        Assert.NotEqual(a, Draws(8));
        Assert.NotEqual(a, Draws(7 + (1UL << 40)));   // a seed cut to 31 bits would make these equal
        Assert.NotEqual(a, Draws(7 + (1UL << 63)));
    }

    [Fact]
    public void Sample_RowAloneOrInABatch_SameDraws_AndRowsNotSampledDoNotAdvance()
    {
        using var logits = Tensor.From(Enumerable.Repeat(Logits, 3).SelectMany(x => x).ToArray(), 3, Logits.Length);
        using var batch = new TokenSampler(new SamplingOptions { Temperature = 1, Seed = 100 }, 3, Device.Cpu);
        using var alone = new TokenSampler(new SamplingOptions { Temperature = 1, Seed = 102 }, 1, Device.Cpu);
        using var one = logits.Narrow(0, 2, 1);
        for (int step = 0; step < 20; step++)
        {
            var rows = step % 2 == 0 ? new[] { 0, 1, 2 } : new[] { 2 };   // rows 0 and 1 finished half the time
            Assert.Equal(alone.Sample(one, null, [0])[0], batch.Sample(logits, null, rows)[^1]);
        }
    }

    /// <summary>The sampling distribution, computed independently in double: penalty, temperature, top-k, top-p.</summary>
    private static double[] Expected(float[] logits, double temperature, int topK, double topP, double penalty, int[] seen)
    {
        var x = logits.Select((l, i) => seen.Contains(i) && penalty != 1 ? (l < 0 ? l * penalty : l / penalty) : (double)l).Select(l => l / temperature).ToArray();
        var order = Enumerable.Range(0, x.Length).OrderByDescending(i => x[i]).ToArray();
        int keep = topK > 0 ? Math.Min(topK, x.Length) : x.Length;
        double Z(int k) => order.Take(k).Sum(i => Math.Exp(x[i]));
        if (topP < 1)
        {
            double z = Z(keep), cum = 0;
            for (int r = 0; r < keep; r++)
            {
                cum += Math.Exp(x[order[r]]) / z;
                if (cum >= topP) { keep = r + 1; break; }
            }
        }
        var p = new double[x.Length];
        double total = Z(keep);
        foreach (var i in order.Take(keep)) p[i] = Math.Exp(x[i]) / total;
        return p;
    }

    private static Tensor SeenMask(int rows, int vocab, int[] tokens)
    {
        var mask = new bool[rows * vocab];
        for (int b = 0; b < rows; b++)
            foreach (var t in tokens) mask[b * vocab + t] = true;
        return Tensor.From(mask, rows, vocab);
    }
}
