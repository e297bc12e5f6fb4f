using FineTune.Models.Lora;

namespace FineTune.Host.Serving;

/// <summary>
/// Adapters in memory for the served model: loaded on first use, the least recently used unloaded beyond
/// <see cref="Capacity"/>. Keyed by folder and write time, so an adapter replaced on disk is reloaded. An adapter whose
/// base_model.json names another base than the served one is never loaded.
/// Not thread-safe: only the generation worker uses it.
/// </summary>
public sealed class AdapterCache(ServedModel served, int capacity) : IDisposable
{
    private readonly LinkedList<(string Key, LoraAdapter Adapter)> _lru = new(); // most recent first
    private readonly Dictionary<string, LinkedListNode<(string Key, LoraAdapter Adapter)>> _byKey = new(StringComparer.Ordinal);

    public int Capacity { get; } = capacity >= 1 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "at least one adapter");
    public int Count => _byKey.Count;
    public long Loads { get; private set; }
    public long Evictions { get; private set; }

    public bool Contains(AdapterEntry entry) => _byKey.ContainsKey(Key(entry));

    /// <summary>The loaded adapters, least recently used last.</summary>
    public IReadOnlyList<LoraAdapter> Loaded => _lru.Select(n => n.Adapter).ToArray();

    /// <summary>The loaded adapter for <paramref name="entry"/>, loading it (and evicting the least recently used) when absent.</summary>
    public LoraAdapter Get(AdapterEntry entry) => TryGet(entry, new HashSet<LoraAdapter>()) ?? throw new InvalidOperationException("unreachable: nothing is in use");

    /// <summary>
    /// As <see cref="Get"/>, but never unloads an adapter in <paramref name="inUse"/> (running sequences): null when the
    /// cache is full of those (the request waits until one is free).
    /// </summary>
    public LoraAdapter? TryGet(AdapterEntry entry, IReadOnlySet<LoraAdapter> inUse)
    {
        var key = Key(entry);
        if (_byKey.TryGetValue(key, out var node))
        {
            _lru.Remove(node);
            _lru.AddFirst(node);
            return node.Value.Adapter;
        }
        if (_byKey.Count >= Capacity && _lru.All(n => inUse.Contains(n.Adapter))) return null;
        var adapter = LoraAdapter.Load(entry.Directory, served.Model);
        if (served.Refusal(entry.Id, adapter.BaseModel) is { } refusal)
        {
            adapter.Dispose(); // the catalogs hold such adapters back; this is the last guard against serving one
            throw new InvalidDataException(refusal);
        }
        Loads++;
        while (_byKey.Count >= Capacity)
        {
            var last = _lru.Last!;
            while (inUse.Contains(last.Value.Adapter)) last = last.Previous!;
            _lru.Remove(last);
            _byKey.Remove(last.Value.Key);
            last.Value.Adapter.Dispose();
            Evictions++;
        }
        _byKey[key] = _lru.AddFirst((key, adapter));
        return adapter;
    }

    private static string Key(AdapterEntry entry) => $"{entry.Directory}|{entry.Created.UtcTicks}";

    public void Dispose()
    {
        foreach (var (_, adapter) in _lru) adapter.Dispose();
        _lru.Clear();
        _byKey.Clear();
    }
}
