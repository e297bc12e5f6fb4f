using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace FineTune.Synthesis;

/// <summary>
/// Cuts a whole (cleaned) document into chunks within a size budget. Lines are the units; a line too long for a
/// chunk is cut at sentence ends (then at spaces, then anywhere). Units are packed greedily; a heading starts a new
/// chunk once the current one is half full, and a heading is never left as the last line of a chunk. Each chunk after
/// the first repeats up to <see cref="ChunkingOptions.Overlap"/> of the previous chunk's end, except where it starts
/// at a heading. Every chunk measures at most <see cref="ChunkingOptions.MaxSize"/>.
/// </summary>
public static partial class Chunker
{
    private sealed record Unit(string Text, int Page, int Line, int Block, bool Heading, bool Seed = false);

    public static IReadOnlyList<Chunk> Split(ExtractedDocument document, ChunkingOptions options)
    {
        options.Validated();
        var units = ToUnits(document, options);
        var chunks = new List<Chunk>();
        var current = new List<Unit>();

        void Flush(bool withOverlap)
        {
            // Trailing headings move on to the next chunk with what they introduce.
            var carried = new List<Unit>();
            while (current.Count > 0 && current[^1].Heading && current.Any(u => !u.Seed && !u.Heading))
            {
                carried.Insert(0, current[^1]);
                current.RemoveAt(current.Count - 1);
            }
            if (current.Any(u => !u.Seed))
                chunks.Add(MakeChunk(document, chunks.Count, current));
            var seed = withOverlap && carried.Count == 0 ? OverlapTail(current, options) : [];
            current = [.. seed, .. carried];
        }

        // Running measure of `current`, kept incrementally (recomputed only when a flush rebuilds `current`).
        var size = 0;
        int SizeWith(Unit unit) => current.Count == 0
            ? options.Measure(unit.Text)
            : size + options.Measure(Separator(current[^1], unit)) + options.Measure(unit.Text);

        foreach (var unit in units)
        {
            var hasContent = current.Any(u => !u.Seed && !u.Heading);
            if (hasContent && unit.Heading && size >= options.MaxSize / 2)
            {
                Flush(withOverlap: false);
                size = Size(current, options);
            }
            else if (SizeWith(unit) > options.MaxSize)
            {
                if (hasContent)
                    Flush(withOverlap: true);
                size = Size(current, options);
                if (SizeWith(unit) > options.MaxSize)
                {
                    current.RemoveAll(u => u.Seed); // the overlap is optional; the unit is not
                    size = Size(current, options);
                }
                if (SizeWith(unit) > options.MaxSize)
                {
                    Flush(withOverlap: false); // only headings were waiting: they become a (small) chunk of their own
                    size = Size(current, options);
                }
            }
            size = SizeWith(unit);
            current.Add(unit);
        }
        Flush(withOverlap: false);
        return chunks;
    }

    /// <summary>Measure of the units joined as <see cref="Join"/> joins them (an upper bound for token estimates).</summary>
    private static int Size(IReadOnlyList<Unit> units, ChunkingOptions options)
    {
        var size = 0;
        for (var i = 0; i < units.Count; i++)
            size += options.Measure(units[i].Text) + (i == 0 ? 0 : options.Measure(Separator(units[i - 1], units[i])));
        return size;
    }

    private static string Separator(Unit previous, Unit next) =>
        previous.Line == next.Line ? "" : previous.Block == next.Block ? "\n" : "\n\n";

    private static string Join(IReadOnlyList<Unit> units)
    {
        var text = new StringBuilder();
        for (var i = 0; i < units.Count; i++)
            text.Append(i == 0 ? "" : Separator(units[i - 1], units[i])).Append(units[i].Text);
        return text.ToString();
    }

    private static Chunk MakeChunk(ExtractedDocument document, int index, IReadOnlyList<Unit> units)
    {
        var text = Join(units);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(document.SourceName + "\n" + text)))[..10];
        var id = $"{Slug(Path.GetFileNameWithoutExtension(document.SourcePath))}-{index:D4}-{hash}";
        return new Chunk(id, document.SourceName, index, units.Min(u => u.Page), units.Max(u => u.Page), text);
    }

    /// <summary>The end of a flushed chunk, at most <see cref="ChunkingOptions.Overlap"/> long: whole units when
    /// they fit, else the last unit's tail starting at a sentence or word boundary.</summary>
    private static List<Unit> OverlapTail(IReadOnlyList<Unit> units, ChunkingOptions options)
    {
        var tail = new List<Unit>();
        for (var i = units.Count - 1; i >= 0; i--)
        {
            var candidate = units[i] with { Seed = true };
            if (Size([candidate, .. tail], options) > options.Overlap)
            {
                if (tail.Count == 0 && options.Overlap > 0)
                {
                    var suffix = Suffix(units[i].Text, options);
                    if (suffix.Length > 0)
                        tail.Add(candidate with { Text = suffix });
                }
                break;
            }
            tail.Insert(0, candidate);
        }
        return tail;
    }

    private static string Suffix(string text, ChunkingOptions options)
    {
        var start = text.Length;
        while (start > 0 && options.Measure(text[(start - 1)..]) <= options.Overlap)
            start--;
        var window = text[start..];
        var boundary = SentenceStart().Match(window);
        if (boundary.Success && boundary.Index + boundary.Length < window.Length)
            return window[(boundary.Index + boundary.Length)..].Trim();
        var space = window.IndexOf(' ');
        return (space >= 0 ? window[(space + 1)..] : window).Trim();
    }

    private static List<Unit> ToUnits(ExtractedDocument document, ChunkingOptions options)
    {
        // A unit must fit in a chunk together with an overlap seed and a separator.
        var limit = options.MaxSize - options.Overlap - options.Measure("\n\n");
        var units = new List<Unit>();
        int line = 0, block = 0;
        foreach (var page in document.Pages)
        {
            foreach (var paragraph in page.Text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
            {
                foreach (var text in paragraph.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
                {
                    var heading = TextShape.IsHeading(text);
                    foreach (var piece in Pieces(text, limit, options))
                        units.Add(new Unit(piece, page.Number, line, block, heading));
                    line++;
                }
                block++;
            }
        }
        return units;
    }

    /// <summary>A line cut into pieces of at most <paramref name="limit"/>: whole sentences packed together, an
    /// over-long sentence cut at a space near the limit or, failing that, at the limit.</summary>
    private static IEnumerable<string> Pieces(string text, int limit, ChunkingOptions options)
    {
        if (options.Measure(text) <= limit)
        {
            yield return text;
            yield break;
        }
        var piece = new StringBuilder();
        foreach (var sentence in SentenceEnd().Split(text).Where(s => s.Length > 0))
        {
            if (piece.Length > 0 && options.Measure(piece + sentence) > limit)
            {
                yield return piece.ToString();
                piece.Clear();
            }
            var rest = sentence;
            while (options.Measure(rest) > limit)
            {
                // Longest prefix within the limit (the measure grows with the prefix): binary search.
                int low = 1, high = rest.Length - 1;
                while (low < high)
                {
                    var mid = (low + high + 1) / 2;
                    if (options.Measure(rest[..mid]) <= limit) low = mid; else high = mid - 1;
                }
                var cut = low;
                var space = rest.LastIndexOf(' ', cut - 1, Math.Max(1, cut / 5));
                if (space > 0)
                    cut = space;
                yield return rest[..cut];
                rest = rest[cut..];
            }
            piece.Append(rest);
        }
        if (piece.Length > 0)
            yield return piece.ToString();
    }

    private static string Slug(string name)
    {
        var slug = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray()).Trim('_');
        return slug.Length == 0 ? "doc" : slug.Length > 40 ? slug[..40] : slug;
    }

    /// <summary>Splits after sentence-ending punctuation, keeping it with its sentence.</summary>
    [GeneratedRegex(@"(?<=[。！？；!?;…])|(?<=\.)(?=\s)")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"[。！？；!?;…]|\.\s")]
    private static partial Regex SentenceStart();
}
