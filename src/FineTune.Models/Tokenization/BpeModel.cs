using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace FineTune.Models.Tokenization;

/// <summary>
/// tokenizer.json's <c>model</c> of type BPE. A word starts as its bytes (byte-level models) or its code points
/// (SentencePiece-style models), then the adjacent pair with the lowest merge rank is merged, leftmost first,
/// until no pair has a merge — the same order as the reference implementations, with a heap so long words cost
/// O(n log n). Merges are keyed by the two token ids packed in one long. Results are cached per word.
/// SentencePiece extras: <c>byte_fallback</c> (unknown chars become <c>&lt;0xXX&gt;</c> tokens), <c>unk_token</c>
/// with <c>fuse_unk</c>; <c>ignore_merges</c> (Llama 3: a word that is itself in the vocabulary is one token).
/// </summary>
internal sealed class BpeModel
{
    private const int MaxCachedWordLength = 256;
    private const int MaxCacheEntries = 500_000;
    private const int Dead = int.MinValue;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly Dictionary<long, long> _merges; // (left id, right id) -> (rank, merged id)
    private readonly bool _byteLevel;
    private readonly int[] _byteIds = new int[256];
    private readonly int[]? _byteFallbackIds;
    private readonly Dictionary<int, int> _charIds = new();
    private readonly int _unkId;
    private readonly bool _fuseUnk;
    private readonly bool _ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;

    public IReadOnlyDictionary<string, int> Vocab => _vocab;
    public int MergeCount => _merges.Count;
    public bool ByteFallback => _byteFallbackIds is not null;

    private BpeModel(Dictionary<string, int> vocab, Dictionary<long, long> merges, bool byteLevel,
        int unkId, bool fuseUnk, bool byteFallback, bool ignoreMerges)
    {
        _vocab = vocab;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = merges;
        _byteLevel = byteLevel;
        _unkId = unkId;
        _fuseUnk = fuseUnk;
        _ignoreMerges = ignoreMerges;
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (byteLevel)
        {
            for (int b = 0; b < 256; b++)
                _byteIds[b] = vocab.TryGetValue(ByteLevelAlphabet.ByteToChar[b].ToString(), out var id) ? id
                    : throw new TokenizerFormatException(
                        $"tokenizer.json: byte-level vocabulary lacks the token for byte 0x{b:X2} ('{ByteLevelAlphabet.ByteToChar[b]}')");
        }
        else
        {
            foreach (var (token, id) in vocab)
                if (token.Length > 0 && Rune.TryGetRuneAt(token, 0, out var r) && r.Utf16SequenceLength == token.Length)
                    _charIds[r.Value] = id;
        }
        if (byteFallback)
        {
            _byteFallbackIds = new int[256];
            for (int b = 0; b < 256; b++)
                _byteFallbackIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1;
        }
    }

    public static BpeModel FromJson(JsonElement model, bool byteLevel)
    {
        var type = Json.Type(model, "model");
        if (type != "BPE")
            throw new TokenizerFormatException($"tokenizer.json: model type '{type}' is not supported (only BPE)");
        if (Json.Prop(model, "dropout") is { ValueKind: JsonValueKind.Number } d && d.GetDouble() > 0)
            throw new TokenizerFormatException("tokenizer.json: BPE dropout is not supported");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (!string.IsNullOrEmpty(Json.OptStr(model, affix)))
                throw new TokenizerFormatException($"tokenizer.json: BPE {affix} '{Json.OptStr(model, affix)}' is not supported");

        if (!model.TryGetProperty("vocab", out var vocabJson) || vocabJson.ValueKind != JsonValueKind.Object)
            throw new TokenizerFormatException("tokenizer.json: model.vocab is missing");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocabJson.EnumerateObject())
            vocab[p.Name] = p.Value.GetInt32();

        var merges = new Dictionary<long, long>();
        int rank = 0;
        foreach (var m in Json.Array(model, "merges", "model"))
        {
            string left, right;
            if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2)
            {
                left = m[0].GetString()!;
                right = m[1].GetString()!;
            }
            else if (m.ValueKind == JsonValueKind.String && m.GetString()!.Split(' ') is [var l, var r])
            {
                left = l;
                right = r;
            }
            else throw new TokenizerFormatException($"tokenizer.json: merge #{rank} {m.GetRawText()} is not a pair");
            if (!vocab.TryGetValue(left, out var a) || !vocab.TryGetValue(right, out var b) || !vocab.TryGetValue(left + right, out var merged))
                throw new TokenizerFormatException($"tokenizer.json: merge #{rank} ('{left}', '{right}') uses a token missing from the vocabulary");
            merges[Key(a, b)] = ((long)rank << 32) | (uint)merged;
            rank++;
        }

        var unk = Json.OptStr(model, "unk_token");
        int unkId = -1;
        if (unk is not null && !vocab.TryGetValue(unk, out unkId))
            throw new TokenizerFormatException($"tokenizer.json: unk_token '{unk}' is not in the vocabulary");
        return new BpeModel(vocab, merges, byteLevel, unkId, Json.Bool(model, "fuse_unk", false),
            Json.Bool(model, "byte_fallback", false), Json.Bool(model, "ignore_merges", false));
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Appends the ids of one pre-token word.</summary>
    public void EncodeWord(ReadOnlySpan<char> word, List<int> output)
    {
        if (word.Length == 0) return;
        bool cacheable = word.Length <= MaxCachedWordLength;
        if (cacheable && _cacheBySpan.TryGetValue(word, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        var ids = _byteLevel ? EncodeBytes(word) : EncodeChars(word);
        if (cacheable)
        {
            if (_cache.Count >= MaxCacheEntries) _cache.Clear();
            _cacheBySpan.TryAdd(word, ids);
        }
        output.AddRange(ids);
    }

    private const int StackLimit = 64;

    private int[] EncodeBytes(ReadOnlySpan<char> word)
    {
        int max = Encoding.UTF8.GetMaxByteCount(word.Length);
        Span<byte> bytes = max <= 1024 ? stackalloc byte[max] : new byte[max];
        int n = Encoding.UTF8.GetBytes(word, bytes);
        if (_ignoreMerges)
        {
            Span<char> chars = n <= 1024 ? stackalloc char[n] : new char[n];
            for (int i = 0; i < n; i++) chars[i] = ByteLevelAlphabet.ByteToChar[bytes[i]];
            if (_vocabBySpan.TryGetValue(chars, out var whole)) return [whole];
        }
        if (n == 1) return [_byteIds[bytes[0]]];
        Span<int> ids = n <= StackLimit ? stackalloc int[n] : new int[n];
        Span<int> next = n <= StackLimit ? stackalloc int[n] : new int[n];
        for (int i = 0; i < n; i++) ids[i] = _byteIds[bytes[i]];
        Merge(ids, next, default);
        return Collect(ids, next, default, default);
    }

    private int[] EncodeChars(ReadOnlySpan<char> word)
    {
        if (_ignoreMerges && _vocabBySpan.TryGetValue(word, out var whole)) return [whole];
        int capacity = word.Length;
        Span<int> ids = capacity <= StackLimit ? stackalloc int[capacity] : new int[capacity];
        Span<int> lengths = capacity <= StackLimit ? stackalloc int[capacity] : new int[capacity];
        int n = 0;
        for (int i = 0; i < word.Length; n++)
        {
            Rune.DecodeFromUtf16(word[i..], out var rune, out int used);
            ids[n] = _charIds.TryGetValue(rune.Value, out var id) ? id : -1;
            lengths[n] = used;
            i += used;
        }
        ids = ids[..n];
        lengths = lengths[..n];
        Span<int> next = n <= StackLimit ? stackalloc int[n] : new int[n];
        Merge(ids, next, lengths);
        return Collect(ids, next, lengths, word);
    }

    /// <summary>(rank &lt;&lt; 32 | merged id) of the pair, or long.MaxValue when it does not merge.</summary>
    private long Lookup(int left, int right) =>
        left >= 0 && right >= 0 && _merges.TryGetValue(Key(left, right), out long merge) ? merge : long.MaxValue;

    /// <summary>
    /// Applies merges in place (lowest rank first, leftmost among equals) and fills the next-links of the
    /// surviving symbols (the chain starts at 0). Short words scan a rank array; long ones use a heap.
    /// </summary>
    private void Merge(Span<int> ids, Span<int> next, Span<int> lengths)
    {
        int n = ids.Length;
        for (int i = 0; i < n; i++) next[i] = i + 1 < n ? i + 1 : -1;
        if (n < 2) return;
        if (n > StackLimit)
        {
            MergeWithHeap(ids, next, lengths);
            return;
        }
        Span<int> prev = stackalloc int[n];
        Span<long> rank = stackalloc long[n];
        for (int i = 0; i < n; i++)
        {
            prev[i] = i - 1;
            rank[i] = i + 1 < n ? Lookup(ids[i], ids[i + 1]) : long.MaxValue;
        }
        while (true)
        {
            long best = long.MaxValue;
            int pos = -1;
            for (int i = 0; i >= 0; i = next[i])
                if (rank[i] < best) { best = rank[i]; pos = i; }
            if (pos < 0) return;
            int right = next[pos];
            ids[pos] = (int)(best & 0xFFFFFFFF);
            if (!lengths.IsEmpty) lengths[pos] += lengths[right];
            ids[right] = Dead;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            rank[pos] = next[pos] >= 0 ? Lookup(ids[pos], ids[next[pos]]) : long.MaxValue;
            if (prev[pos] >= 0) rank[prev[pos]] = Lookup(ids[prev[pos]], ids[pos]);
        }
    }

    private void MergeWithHeap(Span<int> ids, Span<int> next, Span<int> lengths)
    {
        int n = ids.Length;
        var prev = new int[n];
        for (int i = 0; i < n; i++) prev[i] = i - 1;
        var queue = new PriorityQueue<int, long>(n);
        for (int i = 0; i + 1 < n; i++) Push(queue, ids, i, i + 1);
        while (queue.TryDequeue(out int pos, out long priority))
        {
            int right = next[pos];
            if (ids[pos] == Dead || right < 0) continue;
            long merge = Lookup(ids[pos], ids[right]);
            if (merge == long.MaxValue || (merge >> 32) != (priority >> 32))
                continue; // stale entry: this pair changed since it was queued
            ids[pos] = (int)(merge & 0xFFFFFFFF);
            if (!lengths.IsEmpty) lengths[pos] += lengths[right];
            ids[right] = Dead;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) Push(queue, ids, prev[pos], pos);
            if (next[pos] >= 0) Push(queue, ids, pos, next[pos]);
        }
    }

    private void Push(PriorityQueue<int, long> queue, Span<int> ids, int left, int right)
    {
        long merge = Lookup(ids[left], ids[right]);
        if (merge != long.MaxValue)
            queue.Enqueue(left, (merge & ~0xFFFFFFFFL) | (uint)left);
    }

    private int[] Collect(Span<int> ids, Span<int> next, Span<int> lengths, ReadOnlySpan<char> word)
    {
        var result = new List<int>(ids.Length);
        int charPos = 0;
        bool lastWasUnk = false;
        for (int i = 0; i >= 0; i = next[i])
        {
            int id = ids[i];
            int length = lengths.IsEmpty ? 0 : lengths[i];
            if (id >= 0)
            {
                result.Add(id);
                lastWasUnk = false;
            }
            else if (!TryByteFallback(word.Slice(charPos, length), result))
            {
                if (_unkId < 0)
                    throw new InvalidOperationException(
                        $"text has '{word.Slice(charPos, length).ToString()}', which the vocabulary cannot represent (no unk_token, no byte fallback)");
                if (!(_fuseUnk && lastWasUnk)) result.Add(_unkId);
                lastWasUnk = true;
            }
            charPos += length;
        }
        return result.ToArray();
    }

    private bool TryByteFallback(ReadOnlySpan<char> chars, List<int> output)
    {
        if (_byteFallbackIds is null) return false;
        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(chars.Length)];
        int n = Encoding.UTF8.GetBytes(chars, bytes);
        for (int i = 0; i < n; i++)
            if (_byteFallbackIds[bytes[i]] < 0) return false;
        for (int i = 0; i < n; i++) output.Add(_byteFallbackIds[bytes[i]]);
        return true;
    }
}
