namespace FineTune.Models.Generation;

/// <summary>
/// Picks the next token from one row of logits: repetition penalty → temperature → top-k → top-p →
/// draw (or argmax when greedy). Works on a managed copy of the row, so every step is exact and seeded.
/// </summary>
public sealed class TokenSampler(SamplingOptions options)
{
    private readonly Random _random = new((int)((options.Seed ?? (ulong)Random.Shared.NextInt64()) & 0x7fffffff));

    public int Next(float[] logits, IReadOnlyCollection<int> seen)
    {
        if (options.RepetitionPenalty != 1.0)
            foreach (var id in seen)
            {
                var s = logits[id];
                logits[id] = s < 0 ? (float)(s * options.RepetitionPenalty) : (float)(s / options.RepetitionPenalty);
            }
        if (options.Greedy) return ArgMax(logits);

        // Candidates sorted by score, cut by top-k, softmax at the temperature, cut by top-p.
        var order = Enumerable.Range(0, logits.Length).ToArray();
        Array.Sort(logits.ToArray(), order, Comparer<float>.Create((a, b) => b.CompareTo(a)));
        int k = options.TopK > 0 ? Math.Min(options.TopK, order.Length) : order.Length;
        var probs = new double[k];
        double max = logits[order[0]] / options.Temperature, z = 0;
        for (int i = 0; i < k; i++) z += probs[i] = Math.Exp(logits[order[i]] / options.Temperature - max);
        int keep = k;
        if (options.TopP < 1.0)
        {
            double cum = 0;
            for (int i = 0; i < k; i++)
            {
                cum += probs[i] / z;
                if (cum >= options.TopP) { keep = i + 1; break; }
            }
        }
        double total = 0;
        for (int i = 0; i < keep; i++) total += probs[i];
        var u = _random.NextDouble() * total;
        for (int i = 0; i < keep; i++)
        {
            u -= probs[i];
            if (u <= 0) return order[i];
        }
        return order[keep - 1];
    }

    /// <summary>The first index of the largest value (as torch.argmax).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
