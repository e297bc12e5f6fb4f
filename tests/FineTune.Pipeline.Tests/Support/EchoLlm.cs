using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace FineTune.Tests.Support;

/// <summary>
/// The script the pipeline tests give <see cref="FakeOpenAIServer"/>: every request is answered with one JSON line per
/// sentence of the passage in the prompt, except that a passage holding <see cref="PoisonMarker"/> is answered with
/// HTTP 400 (a refusal the client does not retry, and that is not fatal to the job), so that chunk fails every time.
/// </summary>
public static class EchoLlm
{
    public const string PoisonMarker = "XQZPOISONXQZ";
    private static readonly JsonSerializerOptions LineJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task<FakeOpenAIServer> StartAsync() => FakeOpenAIServer.StartAsync(Answer);

    private static Task Answer(FakeOpenAIServer.ReceivedRequest request, HttpContext context)
    {
        if (request.Prompt.Contains(PoisonMarker, StringComparison.Ordinal))
            return FakeOpenAIServer.Fail(context, StatusCodes.Status400BadRequest);
        var system = request.Body.GetProperty("messages").EnumerateArray()
            .FirstOrDefault(m => m.GetProperty("role").GetString() == "system") is { ValueKind: JsonValueKind.Object } s
            ? s.GetProperty("content").GetString() ?? ""
            : "";
        return FakeOpenAIServer.Complete(context, Echo(system, request.Prompt));
    }

    /// <summary>One pair per sentence of the passage: a question naming it, the sentence as the answer (grounded by construction).</summary>
    private static string Echo(string system, string prompt)
    {
        var sentences = ContentOf(prompt)
            .Split(['.', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(s => s.Length >= 12)
            .Distinct()
            .Take(10);
        return string.Join("\n", sentences.Select(s => JsonSerializer.Serialize(
            new { system, user = $"What does the manual say about this: {s}?", assistant = s + "." }, LineJson)));
    }

    private static string ContentOf(string prompt)
    {
        const string marker = "Passage:\n";
        var at = prompt.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return prompt;
        var content = prompt[(at + marker.Length)..];
        var end = content.IndexOf("\n\nThese questions have already been asked", StringComparison.Ordinal);
        return end >= 0 ? content[..end] : content;
    }
}
