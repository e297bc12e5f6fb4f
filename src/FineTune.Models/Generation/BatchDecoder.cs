using FineTune.Models.Lora;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Generation;

/// <summary>
/// Continuous batching: a set of running sequences that changes between steps. <see cref="Add"/> gives a sequence a
/// slot of a KV cache with one row per slot (<see cref="KvCache.SetSlots"/>), <see cref="Remove"/> frees it at once;
/// neither copies the other sequences. Each <see cref="Step"/> prefills the sequences added since the last one (one
/// forward for all of them, wherever their slots are: their first tokens) and then runs one decode forward for every other running sequence, each row at
/// its own position and with its own adapter (an <see cref="AdapterStack"/> slot), so different adapters share a pass.
/// Greedy rows take the argmax on the device; sampled and penalised rows are chosen by their own
/// <see cref="DecodeSequence"/>. A sequence generates the same tokens alone or beside others.
/// </summary>
public sealed class BatchDecoder : IDisposable
{
    private readonly DecoderModel _model;
    private readonly DecodeSequence?[] _slots;
    private readonly HashSet<int> _eos;
    private readonly KvCache _cache;
    private AdapterStack? _adapters;

    /// <param name="maxSequences">Slots: sequences running at once.</param>
    /// <param name="eosTokenIds">Ids that end a sequence (not generated).</param>
    /// <param name="initialCapacity">Positions per slot at first; the cache grows (one copy) when a sequence needs more.</param>
    public BatchDecoder(DecoderModel model, int maxSequences, IReadOnlyList<int> eosTokenIds, int initialCapacity = 256)
    {
        if (maxSequences < 1) throw new ArgumentOutOfRangeException(nameof(maxSequences), maxSequences, "at least one sequence");
        _model = model;
        _slots = new DecodeSequence?[maxSequences];
        _eos = [.. eosTokenIds];
        using var scope = DisposeScope.Begin();
        _cache = model.NewCache(maxSequences, Math.Clamp(initialCapacity, 1, model.Config.MaxPositionEmbeddings));
    }

    public int MaxSequences => _slots.Length;
    public int Count => _slots.Count(s => s is not null);
    public bool HasRoom => _slots.Any(s => s is null);
    public IEnumerable<DecodeSequence> Running => _slots.OfType<DecodeSequence>();

    /// <summary>Forward passes run so far: at most two a step, one prefill for every newcomer and one decode.</summary>
    public long Forwards { get; private set; }

    /// <summary>The adapters rows may use (null: the base only); set on the model here. Only between steps.</summary>
    public AdapterStack? Adapters
    {
        get => _adapters;
        set
        {
            foreach (var s in Running) value.SlotOfChecked(s.Adapter);
            _adapters = value;
            LoraAdapter.RemoveFrom(_model);
            if (value is null) AdapterStack.DetachFrom(_model);
            else value.AttachTo(_model);
        }
    }

    /// <summary>Takes a free slot for <paramref name="sequence"/> (prefilled at the next step); false when every slot is taken.</summary>
    public bool Add(DecodeSequence sequence)
    {
        if (sequence.Slot >= 0) throw new InvalidOperationException("the sequence is already running");
        int need = sequence.Prompt.Length + sequence.Options.MaxNewTokens;
        if (need > _model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"prompt ({sequence.Prompt.Length} tokens) + max new tokens ({sequence.Options.MaxNewTokens}) exceed the model's {_model.Config.MaxPositionEmbeddings} positions");
        _adapters.SlotOfChecked(sequence.Adapter);
        int slot = Array.IndexOf(_slots, null);
        if (slot < 0) return false;
        if (need > _cache.Capacity)
            _cache.Grow(Math.Min(_model.Config.MaxPositionEmbeddings, Math.Max(need, 2 * _cache.Capacity)));
        _slots[slot] = sequence;
        sequence.Slot = slot;
        sequence.Stored = 0;
        return true;
    }

    /// <summary>Ends a sequence now (finished, stopped or cancelled): its slot is free for the next <see cref="Add"/>.</summary>
    public void Remove(DecodeSequence sequence)
    {
        if (sequence.Slot < 0 || !ReferenceEquals(_slots[sequence.Slot], sequence)) return;
        _slots[sequence.Slot] = null;
        sequence.Slot = -1;
    }

    /// <summary>
    /// One step: the new sequences' first tokens (prefill), then one token for every other unfinished running
    /// sequence (one decode forward). Returns the generated tokens in slot order (eos ends a sequence and is not
    /// returned); finished sequences stay until <see cref="Remove"/>.
    /// </summary>
    /// <param name="onToken">Called with each token as soon as it is chosen (a newcomer's first token before the decode forward).</param>
    public IReadOnlyList<(DecodeSequence Sequence, int Token)> Step(CancellationToken cancellationToken = default, Action<DecodeSequence, int>? onToken = null)
    {
        var tokens = new List<(DecodeSequence, int)>();
        void Emit(DecodeSequence s, int token)
        {
            tokens.Add((s, token));
            onToken?.Invoke(s, token);
        }
        using var noGrad = LibTorch.NoGrad();
        var decoding = Running.Where(s => s.Prefilled && s.Finish is null).ToList();
        // Every newcomer in one prefill forward, wherever its slot is.
        var fresh = Running.Where(s => !s.Prefilled).ToList();
        if (fresh.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Prefill(fresh, Emit);
        }
        if (decoding.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Decode(decoding, Emit);
        }
        return tokens;
    }

    /// <summary>
    /// One forward for the newcomers, in whatever slots they hold (<see cref="KvCache.SetPrefillSlots"/>): prompts
    /// right-padded to the longest (causal attention keeps the padding out of every real position; what it writes past a
    /// prompt's end is masked until overwritten), each row's first token from its last prompt position.
    /// </summary>
    private void Prefill(List<DecodeSequence> run, Action<DecodeSequence, int> emit)
    {
        using var scope = DisposeScope.Begin();
        int n = run.Count, L = run.Max(s => s.Prompt.Length);
        var ids = new long[n * L];
        var last = new long[n];
        for (int b = 0; b < n; b++)
        {
            var p = run[b].Prompt;
            for (int t = 0; t < p.Length; t++) ids[b * L + t] = p[t];
            last[b] = b * L + p.Length - 1;
        }
        _adapters?.SetRows(run.Select(s => _adapters.SlotOf(s.Adapter)).ToArray());
        _cache.SetPrefillSlots(run.Select(s => (long)s.Slot).ToArray(), L);
        Forwards++;
        var pos = Tensor.Arange(0, L, 1, DType.Int64, _model.Device).Unsqueeze(0).Expand(n, L);
        var hidden = _model.Hidden(Tensor.From(ids, n, L).To(_model.Device), _cache, pos);          // (n, L, C)
        var lastHidden = hidden.Reshape(n * L, -1).IndexSelect(0, Tensor.From(last, n).To(_model.Device));   // (n, C)
        var logits = _model.LmHeadForward(lastHidden).To(DType.Float32);                           // (n, V)
        long[]? argmax = run.Any(s => !s.NeedsOwnChoice) ? logits.ArgMax(-1).ToArray<long>() : null;
        for (int b = 0; b < n; b++)
        {
            var s = run[b];
            s.Stored = s.Prompt.Length;
            int token = s.NeedsOwnChoice ? s.Choose(logits.Narrow(0, b, 1)) : (int)argmax![b];
            if (s.Accept(token, _eos)) emit(s, token);
        }
    }

    private void Decode(List<DecodeSequence> decoding, Action<DecodeSequence, int> emit)
    {
        using var scope = DisposeScope.Begin();
        int rows = decoding.Max(s => s.Slot) + 1;                                  // slots 0..rows-1; free ones idle
        var bySlot = new DecodeSequence?[rows];
        foreach (var s in decoding) bySlot[s.Slot] = s;
        int span = decoding.Max(s => s.Stored) + 1;
        var ids = new long[rows];
        var pos = new long[rows];
        var writeAt = new long[rows];
        var mask = new bool[rows * span];
        var adapterSlots = new int[rows];
        for (int b = 0; b < rows; b++)
        {
            if (bySlot[b] is not { } s)
            {
                // Idle row (a free slot, or a sequence prefilled this step): writes where nothing live is, sees key 0 only.
                writeAt[b] = _slots[b]?.Stored ?? 0;
                mask[b * span] = true;
                continue;
            }
            ids[b] = s.LastToken;
            pos[b] = writeAt[b] = s.Stored;
            for (int k = 0; k <= s.Stored; k++) mask[b * span + k] = true;
            adapterSlots[b] = _adapters?.SlotOf(s.Adapter) ?? 0;
        }
        _adapters?.SetRows(adapterSlots);
        _cache.SetSlots(0, writeAt, span);
        Forwards++;
        var hidden = _model.Hidden(Tensor.From(ids, rows, 1).To(_model.Device), _cache,
            Tensor.From(pos, rows, 1).To(_model.Device), Tensor.From(mask, rows, 1, 1, span).To(_model.Device));   // (rows, 1, C)
        var logits = _model.LmHeadForward(hidden.Select(1, 0)).To(DType.Float32);   // (rows, V)
        long[]? argmax = decoding.Any(s => !s.NeedsOwnChoice) ? logits.ArgMax(-1).ToArray<long>() : null;
        foreach (var s in decoding)
        {
            s.Stored++;
            int token = s.NeedsOwnChoice ? s.Choose(logits.Narrow(0, s.Slot, 1)) : (int)argmax![s.Slot];
            if (s.Accept(token, _eos)) emit(s, token);
        }
    }

    public void Dispose()
    {
        AdapterStack.DetachFrom(_model);
        _adapters = null;
        _cache.Dispose();
    }
}
