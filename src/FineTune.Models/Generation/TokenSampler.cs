using FineTune.Torch;

namespace FineTune.Models.Generation;

/// <summary>
/// Picks the next token of each sequence of a batch: repetition penalty → temperature → top-k → top-p → draw.
/// Sampling runs as tensor ops on the logits' device (no batch × vocabulary copy to managed memory, no managed
/// sort); each sequence draws from its own generator, seeded with <see cref="SamplingOptions.Seed"/> + its index
/// (all 64 bits), so a prompt samples the same tokens alone or in a batch, and only the chosen ids come back.
/// Greedy (temperature 0) is <see cref="Greedy"/>: the argmax of the penalised row, on a managed copy.
/// </summary>
public sealed class TokenSampler : IDisposable
{
    private readonly SamplingOptions _options;
    private readonly RandomGenerator[] _generators;

    /// <param name="batch">Sequences sampled together; sequence b draws from a generator seeded Seed + b.</param>
    /// <param name="device">Where the logits live (the generators must live there too).</param>
    public TokenSampler(SamplingOptions options, int batch, Device device)
    {
        _options = options.Validate();
        if (options.Greedy) throw new ArgumentException("greedy decoding draws nothing: use TokenSampler.Greedy", nameof(options));
        ulong seed = options.Seed ?? RandomSeed();
        _generators = Enumerable.Range(0, batch).Select(b => new RandomGenerator(unchecked(seed + (ulong)b), device)).ToArray();
    }

    /// <summary>
    /// Draws the next token of each sequence in <paramref name="rows"/> (the unfinished ones; the others' generators
    /// do not advance), in that order.
    /// </summary>
    /// <param name="logits">(B, V) scores of the next token, on the sampler's device.</param>
    /// <param name="seen">(B, V) bool, the tokens already in each sequence, for the repetition penalty (null: none).</param>
    public int[] Sample(Tensor logits, Tensor? seen, IReadOnlyList<int> rows)
    {
        if (rows.Count == 0) return [];
        using var scope = DisposeScope.Begin();
        var x = logits.DType == DType.Float32 ? logits.Alias() : logits.To(DType.Float32);   // (B, V)
        double penalty = _options.RepetitionPenalty;
        if (seen is not null && penalty != 1.0)
            x = Tensor.Where(seen, Tensor.Where(x.Lt(0), x * penalty, x / penalty), x);
        x = x / _options.Temperature;
        long vocab = x.Size(-1);
        Tensor? ids = null;                                              // (B, K): the candidates' token ids, best first
        if (_options.TopK > 0 && _options.TopK < vocab)
            (x, ids) = x.TopK(_options.TopK);                            // (B, k), sorted
        if (_options.TopP < 1.0)
        {
            if (ids is null) (x, ids) = x.Sort(-1, descending: true);   // (B, V)
            var p = x.Softmax(-1);
            var better = p.CumSum(-1) - p;                               // mass of the candidates ranked above each
            x = x.MaskedFill(better.Ge(_options.TopP), double.NegativeInfinity);   // the first always stays
        }
        var probs = x.Softmax(-1);                                       // (B, K)
        var picks = new Tensor[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            int b = rows[i];
            var pick = probs.Select(0, b).Multinomial(1, generator: _generators[b]);   // (1): index among the candidates
            picks[i] = ids is null ? pick : ids.Select(0, b).IndexSelect(0, pick);
        }
        return Tensor.Cat(picks).ToArray<long>().Select(t => (int)t).ToArray();   // the only copy back: one id per row
    }

    /// <summary>
    /// Greedy choice from one row of logits (changed in place by the repetition penalty, which divides positive and
    /// multiplies negative scores of tokens in <paramref name="seen"/>): the first index of the largest score.
    /// </summary>
    public static int Greedy(float[] logits, IReadOnlyCollection<int> seen, double repetitionPenalty)
    {
        if (repetitionPenalty != 1.0)
            foreach (var id in seen)
            {
                var s = logits[id];
                logits[id] = s < 0 ? (float)(s * repetitionPenalty) : (float)(s / repetitionPenalty);
            }
        return ArgMax(logits);
    }

    /// <summary>The first index of the largest value (as torch.argmax).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    private static ulong RandomSeed()
    {
        Span<byte> bytes = stackalloc byte[8];
        Random.Shared.NextBytes(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    public void Dispose()
    {
        foreach (var g in _generators) g.Dispose();
    }
}
