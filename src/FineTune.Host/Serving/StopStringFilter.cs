using System.Text;

namespace FineTune.Host.Serving;

/// <summary>
/// Streams generated text while watching for stop sequences: text that could still become the start of a stop
/// sequence is held back until it cannot, and the text is cut where a stop sequence begins (the sequence itself
/// is never returned), as OpenAI's <c>stop</c> behaves. What <see cref="Push"/> and <see cref="Finish"/> return,
/// concatenated, is <see cref="Text"/>.
/// </summary>
public sealed class StopStringFilter(IReadOnlyList<string> stops)
{
    private readonly StringBuilder _text = new();
    private int _emitted;

    public bool Stopped { get; private set; }
    public string Text => _text.ToString(0, _emitted);

    /// <summary>Adds decoded text; returns the part now safe to emit (possibly empty).</summary>
    public string Push(string piece)
    {
        if (Stopped || piece.Length == 0) return "";
        _text.Append(piece);
        // A stop sequence can only start in the unemitted tail: everything that might have started one was held back.
        var tail = _text.ToString(_emitted, _text.Length - _emitted);
        int cut = -1;
        foreach (var stop in stops)
        {
            int at = tail.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            _text.Length = _emitted + cut;
            _emitted = _text.Length;
            return tail[..cut];
        }
        int hold = 0;
        foreach (var stop in stops)
            for (int k = Math.Min(stop.Length - 1, tail.Length); k > hold; k--)
                if (tail.AsSpan(tail.Length - k).SequenceEqual(stop.AsSpan(0, k))) { hold = k; break; }
        var safe = tail[..(tail.Length - hold)];
        _emitted += safe.Length;
        return safe;
    }

    /// <summary>The generation ended: whatever was held back is emitted.</summary>
    public string Finish()
    {
        if (Stopped) return "";
        var rest = _text.ToString(_emitted, _text.Length - _emitted);
        _emitted = _text.Length;
        return rest;
    }
}
