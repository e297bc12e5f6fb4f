using FineTune.Models.Lora;
using FineTune.Torch;

namespace FineTune.Models.Generation;

/// <summary>
/// One sequence inside a <see cref="BatchDecoder"/>: its prompt, adapter (null: the base) and sampling, what it has
/// generated and why it ended. Sampled sequences draw from their own generator seeded with their seed, so a sequence
/// samples the same tokens alone or beside others; penalties keep their own counts on the device.
/// </summary>
public sealed class DecodeSequence : IDisposable
{
    private readonly List<int> _generated = [];
    private readonly Dictionary<int, int> _counts = [];
    private readonly HashSet<int>? _seen;
    private TokenSampler? _sampler;
    private Tensor? _countsT, _seenT, _biasT;

    public DecodeSequence(int[] prompt, SamplingOptions options, LoraAdapter? adapter = null)
    {
        if (prompt.Length == 0) throw new ArgumentException("a prompt needs at least one token", nameof(prompt));
        Prompt = prompt;
        Options = options.Validate();
        Adapter = adapter;
        if (options.RepetitionPenalty != 1.0) _seen = [.. prompt];
    }

    public int[] Prompt { get; }
    public SamplingOptions Options { get; }
    public LoraAdapter? Adapter { get; }
    public IReadOnlyList<int> Generated => _generated;
    /// <summary>Set when an eos id came (Stop) or <see cref="SamplingOptions.MaxNewTokens"/> were generated (Length).</summary>
    public FinishReason? Finish { get; private set; }

    internal int Slot { get; set; } = -1;
    /// <summary>Positions stored in the KV cache.</summary>
    internal int Stored { get; set; }
    internal bool Prefilled => Stored > 0;
    internal int LastToken { get; private set; }

    /// <summary>Whether choosing this sequence's token needs more than the batch argmax.</summary>
    internal bool NeedsOwnChoice => !Options.Greedy || Options.HasOpenAiPenalties || _seen is not null;

    /// <summary>The next token from this sequence's row of logits (1, V) float32: bias, penalties, then argmax or a draw.</summary>
    internal int Choose(Tensor row)
    {
        using var scope = DisposeScope.Begin();
        var x = Penalise(row);
        if (Options.Greedy) return (int)x.ArgMax(-1).ToArray<long>()[0];
        _sampler ??= new TokenSampler(Options with { RepetitionPenalty = 1.0 }, 1, row.Device);
        return _sampler.Sample(x, null, [0])[0];
    }

    /// <summary>
    /// logit_bias added; the repetition penalty on prompt and generated tokens (transformers); then OpenAI's
    /// frequency (× count) and presence (once) penalties on generated tokens subtracted. All on the row's device.
    /// </summary>
    internal Tensor Penalise(Tensor row)
    {
        var x = row;
        long vocab = row.Size(-1);
        var device = row.Device;
        if (Options.LogitBias is { Count: > 0 } bias)
        {
            if (_biasT is null)
            {
                var dense = new float[vocab];
                foreach (var (id, b) in bias)
                {
                    if (id >= vocab) throw new ArgumentOutOfRangeException(nameof(row), id, $"logit_bias names token {id}; the vocabulary has {vocab}");
                    dense[id] = (float)b;
                }
                using var scope = DisposeScope.Begin();
                _biasT = DisposeScope.Escape(Tensor.From(dense, 1, vocab).To(device));
            }
            x = x + _biasT;
        }
        if (_seen is not null)
        {
            _seenT ??= Dense(_seen.ToDictionary(t => t, _ => 1), vocab, device);   // 0/1
            double p = Options.RepetitionPenalty;
            x = Tensor.Where(_seenT.Gt(0), Tensor.Where(x.Lt(0), x * p, x / p), x);
        }
        if (Options.FrequencyPenalty != 0 || Options.PresencePenalty != 0)
        {
            _countsT ??= Dense(_counts, vocab, device);
            if (Options.FrequencyPenalty != 0) x = x - _countsT * Options.FrequencyPenalty;
            if (Options.PresencePenalty != 0) x = x - _countsT.Gt(0).To(DType.Float32) * Options.PresencePenalty;
        }
        return x;
    }

    private static Tensor Dense(Dictionary<int, int> counts, long vocab, Device device)
    {
        var dense = new float[vocab];
        foreach (var (id, c) in counts) dense[id] = c;
        using var scope = DisposeScope.Begin();
        return DisposeScope.Escape(Tensor.From(dense, 1, vocab).To(device));
    }

    /// <summary>Records a chosen token: an eos id ends the sequence (not generated); else it counts toward the limit.</summary>
    internal bool Accept(int token, IReadOnlySet<int> eos)
    {
        LastToken = token;
        if (eos.Contains(token))
        {
            Finish = FinishReason.Stop;
            return false;
        }
        _generated.Add(token);
        if (Options.FrequencyPenalty != 0 || Options.PresencePenalty != 0)
        {
            int c = _counts[token] = _counts.GetValueOrDefault(token) + 1;
            if (_countsT is not null) SetCell(_countsT, token, c);
        }
        if (_seen is not null && _seen.Add(token) && _seenT is not null) SetCell(_seenT, token, 1);
        if (_generated.Count >= Options.MaxNewTokens) Finish = FinishReason.Length;
        return true;
    }

    private static void SetCell(Tensor t, int index, float value)
    {
        using var scope = DisposeScope.Begin();
        using var noGrad = LibTorch.NoGrad();
        t.Narrow(1, index, 1).CopyFrom(Tensor.From([value], 1, 1).To(t.Device).To(t.DType));
    }

    public void Dispose()
    {
        _sampler?.Dispose();
        _countsT?.Dispose();
        _seenT?.Dispose();
        _biasT?.Dispose();
    }
}
