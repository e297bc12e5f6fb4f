using System.Text.Json;

namespace FineTune.Synthesis.Tests.Support;

/// <summary>Model replies for the scripted server.</summary>
public static class Replies
{
    /// <summary>One well-formed JSON line per pair, as the prompt asks for.</summary>
    public static string Lines(string system, params (string Q, string A)[] pairs) =>
        string.Join("\n", pairs.Select(p => Line(system, p.Q, p.A)));

    public static string Line(string system, string question, string answer) =>
        JsonSerializer.Serialize(new { system, user = question, assistant = answer },
            new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>The chunk text inside a rendered default prompt (zh or en).</summary>
    public static string ContentOf(string prompt)
    {
        foreach (var marker in new[] { "内容：\n", "Passage:\n" })
        {
            var at = prompt.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                var content = prompt[(at + marker.Length)..];
                foreach (var tail in new[] { "\n\n下面这些问题已经问过了", "\n\nThese questions have already been asked" })
                {
                    var end = content.IndexOf(tail, StringComparison.Ordinal);
                    if (end >= 0)
                        content = content[..end];
                }
                return content;
            }
        }
        throw new InvalidOperationException("no content in prompt: " + prompt);
    }

    /// <summary>
    /// A stand-in for a faithful model: one pair per sentence of the chunk (up to <paramref name="count"/>), the question
    /// naming the sentence's subject, the answer restating the sentence. Deterministic, so runs can be compared.
    /// </summary>
    public static string Echo(string system, string prompt, int count)
    {
        var sentences = ContentOf(prompt)
            .Split(['。', '！', '？', '.', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(s => s.Length >= 8 && !s.StartsWith('#'))
            .Distinct()
            .Take(count)
            .ToList();
        return Lines(system, sentences.Select(s => ($"请解释一下这一条：{s}？", s + "。")).ToArray());
    }
}
