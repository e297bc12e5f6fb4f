namespace FineTune.Data;

/// <summary>Exact token-count distribution in memory bounded by the number of distinct counts.</summary>
internal sealed class TokenHistogram
{
    private readonly Dictionary<int, long> _counts = new();
    private long _n, _total;
    private int _min = int.MaxValue, _max;

    public void Add(int tokens)
    {
        _counts[tokens] = _counts.GetValueOrDefault(tokens) + 1;
        _n++;
        _total += tokens;
        _min = Math.Min(_min, tokens);
        _max = Math.Max(_max, tokens);
    }

    public TokenStatistics Summarize()
    {
        if (_n == 0) return new TokenStatistics(0, 0, 0, 0, 0);
        var rank = (long)Math.Ceiling(0.95 * _n);   // nearest-rank percentile
        long seen = 0, p95 = _max;
        foreach (var key in _counts.Keys.Order())
        {
            seen += _counts[key];
            if (seen >= rank) { p95 = key; break; }
        }
        return new TokenStatistics(_min, Math.Round((double)_total / _n, 2), p95, _max, _total);
    }
}
