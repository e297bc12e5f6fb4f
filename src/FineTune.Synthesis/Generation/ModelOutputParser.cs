using System.Text;
using System.Text.Json;

namespace FineTune.Synthesis;

/// <summary>
/// Reads the pairs out of what a model really writes: code fences, prose before and after, objects split across
/// lines, trailing commas, raw newlines and unescaped quotes inside strings, and a last object cut off by max_tokens.
/// Objects are found by scanning braces (string-aware), not by splitting lines. Accepted shapes:
/// <c>{"system","user","assistant"}</c> (also question/answer, instruction/output, 问题/回答 keys) and
/// <c>{"messages":[…]}</c> with one user and one assistant message. Every candidate object is either a pair or a
/// counted drop.
/// </summary>
public static class ModelOutputParser
{
    private static readonly string[] QuestionKeys = ["user", "question", "q", "instruction", "input", "问题", "提问"];
    private static readonly string[] AnswerKeys = ["assistant", "answer", "a", "output", "response", "回答", "答案"];
    private static readonly JsonDocumentOptions Lenient = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    public sealed record Result(IReadOnlyList<QaPair> Pairs, int Candidates, IReadOnlyDictionary<string, int> Dropped);

    public static Result Parse(string output)
    {
        var pairs = new List<QaPair>();
        var dropped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var candidates = 0;
        foreach (var (json, complete) in Objects(output))
        {
            candidates++;
            QaPair? pair = null;
            var reason = complete ? TryRead(json, out pair) : DropReasons.Truncated;
            if (reason is null)
                pairs.Add(pair!);
            else
                dropped[reason] = dropped.GetValueOrDefault(reason) + 1;
        }
        return new Result(pairs, candidates, dropped);
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

    /// <summary>
    /// Top-level <c>{…}</c> spans of <paramref name="text"/>, repaired for JSON: raw control characters inside strings
    /// are escaped, and a quote inside a string that is not followed by , : } ] is taken as part of the text.
    /// A span still open at the end is returned with complete = false. Braces with no quote inside are prose.
    /// </summary>
    internal static IEnumerable<(string Json, bool Complete)> Objects(string text)
    {
        var current = new StringBuilder();
        int depth = 0;
        bool inString = false, escaped = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (depth == 0)
            {
                if (c == '{')
                {
                    depth = 1;
                    current.Clear().Append(c);
                }
                continue;
            }
            if (inString)
            {
                if (escaped)
                    escaped = false;
                else if (c == '\\')
                    escaped = true;
                else if (c == '"' && !ClosesString(text, i))
                {
                    current.Append("\\\"");
                    continue;
                }
                else if (c == '"')
                    inString = false;
                else if (c < ' ')
                {
                    current.Append(c switch { '\n' => "\\n", '\t' => "\\t", '\r' => "", _ => $"\\u{(int)c:x4}" });
                    continue;
                }
                current.Append(c);
                continue;
            }
            current.Append(c);
            if (c == '"')
                inString = true;
            else if (c == '{')
                depth++;
            else if (c == '}' && --depth == 0)
            {
                var json = current.ToString();
                if (json.Contains('"'))
                    yield return (json, true);
            }
        }
        if (depth > 0 && current.ToString().Contains('"'))
            yield return (current.ToString(), false);
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
}
