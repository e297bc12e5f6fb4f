namespace FineTune.Data;

/// <summary>
/// Mixes a task dataset with general-purpose data to limit catastrophic forgetting. The general
/// examples taken are the ones with the smallest content hash (a deterministic sample, independent
/// of the general file's order, kept in memory bounded by the number wanted); the mix is then
/// ordered by content hash, a deterministic shuffle. The task set is held in memory.
/// </summary>
public static class DatasetMixer
{
    public static MixResult Mix(IEnumerable<ChatExample> task, IEnumerable<ChatExample> general, MixOptions options)
    {
        var taskList = task.ToList();
        var sampler = new Sampler(options.GeneralWanted(taskList.Count), options.Seed);
        foreach (var example in general) sampler.Offer(example);
        return Combine(taskList, sampler, options);
    }

    /// <summary>Mixes two normalized chat JSONL streams into <paramref name="output"/> (chat JSONL).</summary>
    public static async Task<MixResult> MixAsync(Stream taskJsonl, Stream generalJsonl, Stream output, MixOptions options,
        CancellationToken cancellationToken = default)
    {
        var task = new List<ChatExample>();
        await foreach (var e in ChatJsonl.ReadAsync(taskJsonl, cancellationToken).ConfigureAwait(false)) task.Add(e);
        var sampler = new Sampler(options.GeneralWanted(task.Count), options.Seed);
        await foreach (var e in ChatJsonl.ReadAsync(generalJsonl, cancellationToken).ConfigureAwait(false)) sampler.Offer(e);
        var result = Combine(task, sampler, options);

        var writer = new ChatJsonlWriter(output);
        foreach (var e in result.Examples) writer.Write(e, 0);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static MixResult Combine(List<ChatExample> task, Sampler sampler, MixOptions options)
    {
        var picked = sampler.Picked();
        var mix = task.Concat(picked)
            .Select(e => (Example: e, Key: ContentHash.Of(e, options.Seed + "/order")))
            .OrderBy(static x => x.Key)
            .Select(static x => x.Example)
            .ToList();
        return new MixResult(mix, task.Count, picked.Count, sampler.Available);
    }

    /// <summary>Keeps the <c>wanted</c> examples with the smallest content hash seen so far (a max-heap).</summary>
    private sealed class Sampler(long wanted, string seed)
    {
        private readonly PriorityQueue<ChatExample, ulong> _heap = new(Comparer<ulong>.Create(static (a, b) => b.CompareTo(a)));

        public long Available { get; private set; }

        public void Offer(ChatExample example)
        {
            Available++;
            if (wanted == 0) return;
            var hash = ContentHash.Of(example, seed + "/general");
            if (_heap.Count < wanted) _heap.Enqueue(example, hash);
            else if (_heap.TryPeek(out _, out var largest) && hash < largest) _heap.DequeueEnqueue(example, hash);
        }

        public List<ChatExample> Picked() => _heap.UnorderedItems.Select(static x => x.Element).ToList();
    }
}
