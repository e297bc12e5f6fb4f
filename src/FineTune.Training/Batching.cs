namespace FineTune.Training;

/// <summary>
/// Epoch batches grouped by length, so little compute goes to padding: shuffle (seeded by seed and
/// epoch, so a resumed run sees the same order), sort within mega-batches of 16 batches, cut, shuffle the
/// batches. Optional packing concatenates short examples into sequences of up to the max length.
/// </summary>
public static class Batching
{
    public static List<int[]> EpochBatches(IReadOnlyList<int> lengths, int batchSize, ulong seed, int epoch)
    {
        var rng = new Random(unchecked((int)(seed * 1_000_003UL + (ulong)epoch * 7919UL)));
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        rng.Shuffle(order);
        var batches = new List<int[]>();
        int mega = batchSize * 16;
        for (int start = 0; start < order.Length; start += mega)
        {
            var group = order.Skip(start).Take(mega).OrderByDescending(i => lengths[i]).ThenBy(i => i).ToArray();
            for (int b = 0; b < group.Length; b += batchSize)
                batches.Add(group.Skip(b).Take(batchSize).ToArray());
        }
        var shuffled = batches.ToArray();
        rng.Shuffle(shuffled);
        return shuffled.ToList();
    }

    /// <summary>First-fit packing of examples (in a seeded order) into sequences of at most <paramref name="maxTokens"/>.</summary>
    public static List<EncodedExample> Pack(IReadOnlyList<EncodedExample> examples, int maxTokens, ulong seed)
    {
        var order = Enumerable.Range(0, examples.Count).ToArray();
        new Random(unchecked((int)seed)).Shuffle(order);
        var bins = new List<(List<int> Inputs, List<int> Labels)>();
        foreach (var i in order)
        {
            var e = examples[i];
            var bin = bins.FirstOrDefault(b => b.Inputs.Count + e.Length <= maxTokens);
            if (bin.Inputs is null)
            {
                bin = (new List<int>(), new List<int>());
                bins.Add(bin);
            }
            bin.Inputs.AddRange(e.Inputs);
            bin.Labels.AddRange(e.Labels);
        }
        return bins.Select(b => new EncodedExample(b.Inputs.ToArray(), b.Labels.ToArray())).ToList();
    }
}
