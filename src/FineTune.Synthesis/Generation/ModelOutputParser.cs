using System.Text;
using System.Text.Json;

namespace FineTune.Synthesis;

/// <summary>
/// Reads the pairs out of what a model really writes: code fences, prose before and after, objects split across
/// lines, trailing commas, raw newlines and unescaped quotes inside strings, and a last object cut off by max_tokens.
/// Objects are found by scanning braces (string-aware), not by splitting lines. Accepted shapes:
/// <c>{"system","user","assistant"}</c> (also question/answer, instruction/output, 问题/回答 keys) and
/// <c>{"messages":[…]}</c> with one user and one assistant message. Every candidate object is either a pair or a
/// counted drop with the line it starts on.
/// </summary>
/// <remarks>
/// A broken line costs that line alone, whatever the shape around it (JSONL, a fenced block, pretty-printed objects,
/// an array): an object read across lines is kept only when it is JSON, and a string never runs on into a line that
/// starts a new object. Otherwise the object is one unusable fragment (its first line, with the lines indented deeper
/// under it) and the scan starts again on the next line.
/// </remarks>
public static class ModelOutputParser
{
    private static readonly string[] QuestionKeys = ["user", "question", "q", "instruction", "input", "问题", "提问"];
    private static readonly string[] AnswerKeys = ["assistant", "answer", "a", "output", "response", "回答", "答案"];
    private static readonly JsonDocumentOptions Lenient = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>What one reply gave: <see cref="Candidates"/> = <see cref="Pairs"/> + <see cref="Unusable"/>, and
    /// <see cref="Dropped"/> counts <see cref="Unusable"/> by reason.</summary>
    public sealed record Result(IReadOnlyList<QaPair> Pairs, int Candidates, IReadOnlyDictionary<string, int> Dropped, IReadOnlyList<Unusable> Unusable);

    /// <summary>A candidate that gave no pair: the reply line (1-based) it starts on and the <see cref="DropReasons"/> code.</summary>
    public sealed record Unusable(int Line, string Reason);

    public static Result Parse(string output)
    {
        var pairs = new List<QaPair>();
        var unusable = new List<Unusable>();
        foreach (var candidate in Candidates(output))
        {
            QaPair? pair = null;
            var reason = candidate.Reason ?? TryRead(candidate.Json!, out pair);
            if (reason is null)
                pairs.Add(pair!);
            else
                unusable.Add(new Unusable(candidate.Line, reason));
        }
        var dropped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var drop in unusable)
            dropped[drop.Reason] = dropped.GetValueOrDefault(drop.Reason) + 1;
        return new Result(pairs, pairs.Count + unusable.Count, dropped, unusable);
    }

    private static string? TryRead(string json, out QaPair? pair)
    {
        pair = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, Lenient);
        }
        catch (JsonException)
        {
            return DropReasons.InvalidJson;
        }
        using (document)
        {
            var root = document.RootElement;
            string? question, answer;
            if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                question = Single(messages, "user");
                answer = Single(messages, "assistant");
            }
            else
            {
                question = FirstString(root, QuestionKeys);
                answer = FirstString(root, AnswerKeys);
            }
            if (question is null || answer is null)
                return DropReasons.MissingField;
            pair = new QaPair(question.Trim(), answer.Trim());
            return null;
        }
    }

    private static string? FirstString(JsonElement obj, string[] keys)
    {
        foreach (var property in obj.EnumerateObject())
            if (keys.Contains(property.Name.Trim(), StringComparer.OrdinalIgnoreCase))
                return property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
        return null;
    }

    /// <summary>The content of the only message with <paramref name="role"/>, or null when there is not exactly one.</summary>
    private static string? Single(JsonElement messages, string role)
    {
        var found = messages.EnumerateArray()
            .Where(m => m.ValueKind == JsonValueKind.Object && m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String && r.GetString() == role)
            .Select(m => m.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null)
            .ToList();
        return found.Count == 1 ? found[0] : null;
    }

    /// <summary>An object found in the reply, starting on <paramref name="Line"/> (1-based): either
    /// <paramref name="Json"/> to read or the <paramref name="Reason"/> it cannot be used.</summary>
    internal sealed record Candidate(int Line, string? Json, string? Reason);

    /// <summary>
    /// The top-level <c>{…}</c> objects of <paramref name="text"/> in order, repaired for JSON (see <see cref="Scan"/>).
    /// Braces with no quote inside are prose, not candidates. An object that closes on its own line, or across lines
    /// and is then JSON, is read. Any other (never closed, not JSON across lines, or a string running on into a line
    /// that starts a new object) is one broken fragment, from its start to the next line indented no deeper than the
    /// line it starts on; the scan resumes there. A fragment still open at the end of the reply is
    /// <see cref="DropReasons.Truncated"/>, any other <see cref="DropReasons.InvalidJson"/>.
    /// </summary>
    internal static IEnumerable<Candidate> Candidates(string text)
    {
        int position = 0, line = 1, counted = 0;
        while ((position = text.IndexOf('{', position)) >= 0)
        {
            line += CountNewlines(text, counted, position);
            counted = position;
            var (json, end, complete) = Scan(text, position);
            if (complete && (IsOneLine(text, position, end) || IsJson(json)))
            {
                if (json.Contains('"'))
                    yield return new Candidate(line, json, null);
                position = end;
                continue;
            }
            var resume = ResumeAfterBroken(text, position);
            if (text.AsSpan(position, resume - position).Contains('"'))
                yield return new Candidate(line, null, !complete && resume == text.Length ? DropReasons.Truncated : DropReasons.InvalidJson);
            position = resume;
        }
    }

    /// <summary>
    /// The <c>{…}</c> span starting at <paramref name="start"/> (string-aware), repaired for JSON: raw control
    /// characters inside strings are escaped, and a quote inside a string that is not followed by , : } ] is taken as
    /// part of the text. <c>End</c> is the index after the closing brace. Complete is false when the text ends first,
    /// or when a string would run on into a line that starts a new object; <c>End</c> is then where the scan stopped.
    /// </summary>
    private static (string Json, int End, bool Complete) Scan(string text, int start)
    {
        var json = new StringBuilder().Append('{');
        int depth = 1;
        bool inString = false, escaped = false;
        for (var i = start + 1; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (escaped)
                    escaped = false;
                else if (c == '\\')
                    escaped = true;
                else if (c == '"' && !ClosesString(text, i))
                {
                    json.Append("\\\"");
                    continue;
                }
                else if (c == '"')
                    inString = false;
                else if (c == '\n' && StartsObject(text, i + 1))
                    return (json.ToString(), i + 1, false);
                else if (c < ' ')
                {
                    json.Append(c switch { '\n' => "\\n", '\t' => "\\t", '\r' => "", _ => $"\\u{(int)c:x4}" });
                    continue;
                }
                json.Append(c);
                continue;
            }
            json.Append(c);
            if (c == '"')
                inString = true;
            else if (c == '{')
                depth++;
            else if (c == '}' && --depth == 0)
                return (json.ToString(), i + 1, true);
        }
        return (json.ToString(), text.Length, false);
    }

    /// <summary>A quote ends a string when what follows (spaces and newlines skipped) is , : } ] or the end.</summary>
    private static bool ClosesString(string text, int quote)
    {
        for (var j = quote + 1; j < text.Length; j++)
        {
            var c = text[j];
            if (char.IsWhiteSpace(c))
                continue;
            return c is ',' or ':' or '}' or ']';
        }
        return true;
    }

    /// <summary>True when the line at <paramref name="lineStart"/> starts a new object: its first non-space character
    /// is <c>{</c> and the next one after it (newlines skipped) is a quote.</summary>
    private static bool StartsObject(string text, int lineStart)
    {
        var i = lineStart;
        while (i < text.Length && text[i] is ' ' or '\t')
            i++;
        if (i >= text.Length || text[i] != '{')
            return false;
        i++;
        while (i < text.Length && char.IsWhiteSpace(text[i]))
            i++;
        return i < text.Length && text[i] == '"';
    }

    /// <summary>Where scanning resumes after a broken object starting at <paramref name="start"/>: the next line that is
    /// not blank and is indented no deeper than the line of <paramref name="start"/> (deeper lines are the broken
    /// object's body), or the end of the text.</summary>
    private static int ResumeAfterBroken(string text, int start)
    {
        var indent = Indent(text, text.LastIndexOf('\n', start) + 1);
        for (var lineStart = NextLine(text, start); lineStart < text.Length; lineStart = NextLine(text, lineStart))
        {
            var lineIndent = Indent(text, lineStart);
            var blank = lineStart + lineIndent == text.Length || text[lineStart + lineIndent] is '\n' or '\r';
            if (!blank && lineIndent <= indent)
                return lineStart;
        }
        return text.Length;
    }

    /// <summary>The start of the line after the one holding <paramref name="index"/>, or the end of the text.</summary>
    private static int NextLine(string text, int index)
    {
        var newline = text.IndexOf('\n', index);
        return newline < 0 ? text.Length : newline + 1;
    }

    /// <summary>The number of spaces and tabs at the start of the line at <paramref name="lineStart"/>.</summary>
    private static int Indent(string text, int lineStart)
    {
        var i = lineStart;
        while (i < text.Length && text[i] is ' ' or '\t')
            i++;
        return i - lineStart;
    }

    private static bool IsOneLine(string text, int start, int end) => text.AsSpan(start, end - start).IndexOf('\n') < 0;

    private static int CountNewlines(string text, int from, int to) => text.AsSpan(from, to - from).Count('\n');

    private static bool IsJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, Lenient);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
