namespace FineTune.Synthesis;

/// <summary>
/// Remembers the questions kept so far and says whether a new one is the same or nearly the same as one of them:
/// Jaccard similarity of <see cref="TextFeatures"/> at or above the threshold. An inverted index keeps it fast
/// (only questions sharing a feature are compared).
/// </summary>
public sealed class QuestionDeduplicator(double threshold)
{
    private readonly List<HashSet<string>> _kept = [];
    private readonly Dictionary<string, List<int>> _index = new(StringComparer.Ordinal);

    public double Threshold { get; } = threshold is > 0 and <= 1
        ? threshold
        : throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "must be in (0, 1]");

    /// <summary>True when <paramref name="question"/> is a near-duplicate; otherwise it is remembered and false returned.</summary>
    public bool IsDuplicateOrAdd(string question)
    {
        var features = TextFeatures.Of(question);
        if (features.Count == 0)
            features.Add(question.Trim());
        var shared = new Dictionary<int, int>();
        foreach (var feature in features)
            if (_index.TryGetValue(feature, out var ids))
                foreach (var id in ids)
                    shared[id] = shared.GetValueOrDefault(id) + 1;
        foreach (var (id, overlap) in shared)
            if ((double)overlap / (features.Count + _kept[id].Count - overlap) >= Threshold)
                return true;

        var newId = _kept.Count;
        _kept.Add(features);
        foreach (var feature in features)
        {
            if (!_index.TryGetValue(feature, out var ids))
                _index[feature] = ids = [];
            ids.Add(newId);
        }
        return false;
    }
}
