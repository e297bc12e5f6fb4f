using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Generation;

/// <summary>
/// Autoregressive generation for a batch of prompts of different lengths: prompts are left-padded,
/// padding is masked out of attention and positions count from each prompt's first real token, so a
/// prompt generates the same tokens alone or in a batch. With the KV cache (default) each step feeds one
/// token per sequence; without it every step re-runs the whole sequence (the reference for tests). Sampling stays
/// on the model's device (<see cref="TokenSampler"/>); greedy decoding takes the argmax of each row on a managed copy.
/// </summary>
public sealed class Generator(DecoderModel model)
{
    /// <param name="shouldStop">Called after each token with the sequence index and its generated tokens; true ends it (stop strings).</param>
    /// <param name="onToken">Streams (sequence index, token) as each is chosen; eos is not streamed.</param>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<int[]> prompts, SamplingOptions options,
        Func<int, IReadOnlyList<int>, bool>? shouldStop = null, Action<int, int>? onToken = null,
        bool useCache = true, CancellationToken cancellationToken = default)
    {
        options.Validate();
        if (options.HasOpenAiPenalties)
            throw new ArgumentException("frequency/presence penalties and logit bias are applied by BatchDecoder, not by Generator", nameof(options));
        if (prompts.Count == 0) return [];
        foreach (var p in prompts)
            if (p.Length == 0) throw new ArgumentException("every prompt needs at least one token");
        int B = prompts.Count;
        int maxLen = prompts.Max(p => p.Length);
        int capacity = maxLen + options.MaxNewTokens;
        if (capacity > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"prompt ({maxLen} tokens) + max new tokens ({options.MaxNewTokens}) exceed the model's {model.Config.MaxPositionEmbeddings} positions");
        bool padded = prompts.Any(p => p.Length != maxLen);
        int pad = options.EosTokenIds.Count > 0 ? options.EosTokenIds[0] : 0;
        var eos = options.EosTokenIds.ToHashSet();

        // Row b of the padded batch: (maxLen - len) pads, the prompt, then generated tokens.
        var rows = prompts.Select(p => Enumerable.Repeat(pad, maxLen - p.Length).Concat(p).ToList()).ToArray();
        var offsets = prompts.Select(p => maxLen - p.Length).ToArray();
        var generated = prompts.Select(_ => new List<int>()).ToArray();
        var seen = options.Greedy ? prompts.Select(p => new HashSet<int>(p)).ToArray() : null;   // greedy's penalty
        var finish = new FinishReason?[B];
        bool penalised = options.RepetitionPenalty != 1.0;

        using var noGrad = LibTorch.NoGrad();
        using var sampler = options.Greedy ? null : new TokenSampler(options, B, model.Device);
        using var seenMask = sampler is not null && penalised ? new SeenMask(prompts, model.Config.VocabSize, model.Device) : null;
        using var cache = useCache ? model.NewCache(B, capacity) : null;
        for (int step = 0; step < options.MaxNewTokens && finish.Any(f => f is null); step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = DisposeScope.Begin();
            int total = rows[0].Count;                                   // S: positions including this step's
            int start = cache is null || step == 0 ? 0 : total - 1;      // first position fed now
            int T = total - start;
            var ids = new long[B * T];
            var pos = new long[B * T];
            for (int b = 0; b < B; b++)
                for (int t = 0; t < T; t++)
                {
                    ids[b * T + t] = rows[b][start + t];
                    pos[b * T + t] = Math.Max(0, start + t - offsets[b]);
                }
            Tensor? mask = null;
            if (padded)
            {
                // mask[b, 0, t, s]: key s is real, or is the query itself (so pad rows are never empty).
                var m = new bool[B * T * total];
                for (int b = 0; b < B; b++)
                    for (int t = 0; t < T; t++)
                        for (int s = 0; s < total; s++)
                            m[(b * T + t) * total + s] = s >= offsets[b] || s == start + t;
                mask = Tensor.From(m, B, 1, T, total).To(model.Device);
            }
            var idsT = Tensor.From(ids, B, T).To(model.Device);
            var posT = Tensor.From(pos, B, T).To(model.Device);
            var hidden = model.Hidden(idsT, cache, posT, mask);          // (B, T, C)
            var last = hidden.Select(1, T - 1);                         // (B, C)
            var logits = model.LmHeadForward(last).To(DType.Float32);  // (B, V), on the model's device
            var active = Enumerable.Range(0, B).Where(b => finish[b] is null).ToList();
            var chosen = sampler is null ? GreedyTokens(logits, active, seen!, options.RepetitionPenalty) : sampler.Sample(logits, seenMask?.Mask, active);
            var next = Enumerable.Repeat(pad, B).ToArray();
            for (int i = 0; i < active.Count; i++) next[active[i]] = chosen[i];
            for (int b = 0; b < B; b++)
            {
                var token = next[b];
                rows[b].Add(token);
                if (finish[b] is not null) continue;
                if (eos.Contains(token)) { finish[b] = FinishReason.Stop; continue; }
                generated[b].Add(token);
                seen?[b].Add(token);
                onToken?.Invoke(b, token);
                if (shouldStop?.Invoke(b, generated[b]) == true) finish[b] = FinishReason.Stop;
            }
            seenMask?.Add(next);
        }
        return Enumerable.Range(0, B)
            .Select(b => new GenerationResult(generated[b].ToArray(), finish[b] ?? FinishReason.Length, prompts[b].Length))
            .ToArray();
    }

    // Greedy: the argmax of each active row after the repetition penalty, on a managed copy of the logits.
    private static int[] GreedyTokens(Tensor logits, List<int> active, HashSet<int>[] seen, double repetitionPenalty)
    {
        var all = logits.ToArray<float>();                              // (B, V)
        int V = (int)logits.Size(-1);
        return active.Select(b => TokenSampler.Greedy(all.AsSpan(b * V, V).ToArray(), seen[b], repetitionPenalty)).ToArray();
    }

    /// <summary>(B, V) bool on the device: the tokens in each sequence so far, for the repetition penalty when sampling.</summary>
    private sealed class SeenMask : IDisposable
    {
        public SeenMask(IReadOnlyList<int[]> prompts, int vocab, Device device)
        {
            int B = prompts.Count, width = prompts.Max(p => p.Length);
            var ids = new long[B * width];                              // each row padded with its own first token
            for (int b = 0; b < B; b++)
                for (int t = 0; t < width; t++)
                    ids[b * width + t] = prompts[b][Math.Min(t, prompts[b].Length - 1)];
            using var scope = DisposeScope.Begin();
            var index = Tensor.From(ids, B, width).To(device);
            Mask = DisposeScope.Escape(Tensor.Zeros([B, vocab], DType.Bool, device).Scatter(1, index, Tensor.Ones([B, width], DType.Bool, device)));
        }

        public Tensor Mask { get; private set; }

        /// <summary>Marks each row's new token (a finished row's pad marks nothing it samples again).</summary>
        public void Add(int[] tokens)
        {
            using var scope = DisposeScope.Begin();
            var index = Tensor.From(tokens.Select(t => (long)t).ToArray(), tokens.Length, 1).To(Mask.Device);
            var updated = DisposeScope.Escape(Mask.Scatter(1, index, Tensor.Ones([tokens.Length, 1], DType.Bool, Mask.Device)));
            Mask.Dispose();
            Mask = updated;
        }

        public void Dispose() => Mask.Dispose();
    }
}
