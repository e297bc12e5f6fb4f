using System.Text.Json;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using Microsoft.AspNetCore.Http;

namespace FineTune.Host.WebConsole;

/// <summary>
/// GET /api/synthesized/{id}?top=N: the first N (default 200, at most 1000) Q&amp;A pairs a document job synthesized,
/// each with the source file and pages it came from: its datasets/{id}/synthetic.jsonl read line by line beside the
/// synthetic.sources.jsonl the synthesizer writes with it (one line each).
/// </summary>
public static class SynthesizedPairs
{
    public const int DefaultTop = 200, MaxTop = 1000;

    public static async Task<IResult> GetAsync(string id, int? top, StorageAccount storage, CancellationToken ct)
    {
        if (!JobPaths.IsValidId(id)) return NotFound(id);
        int limit = Math.Clamp(top ?? DefaultTop, 1, MaxTop);
        await using var pairs = await storage.Blobs.OpenReadAsync(Containers.Datasets, JobPaths.SyntheticData(id), ct);
        if (pairs is null) return NotFound(id);
        await using var sources = await storage.Blobs.OpenReadAsync(Containers.Datasets, $"{id}/synthetic.sources.jsonl", ct);
        using var pairLines = new StreamReader(pairs.Content);
        using var sourceLines = sources is null ? null : new StreamReader(sources.Content);
        var list = new List<SynthesizedPair>();
        long line = 0;
        while (await pairLines.ReadLineAsync(ct) is { } text)
        {
            var source = sourceLines is null ? null : await sourceLines.ReadLineAsync(ct);
            if (text.Length == 0) continue;
            if (list.Count == limit) return TypedResults.Ok(new SynthesizedPairsResponse(list, Truncated: true));
            list.Add(Pair(++line, text, source));
        }
        return TypedResults.Ok(new SynthesizedPairsResponse(list, Truncated: false));
    }

    private static SynthesizedPair Pair(long line, string text, string? sourceText)
    {
        string question = "", answer = "";
        using (var doc = JsonDocument.Parse(text))
            if (doc.RootElement.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
                foreach (var m in messages.EnumerateArray())
                {
                    var content = m.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
                    switch (m.TryGetProperty("role", out var r) ? r.GetString() : null)
                    {
                        case "user": question = content; break;
                        case "assistant": answer = content; break;
                    }
                }
        if (sourceText is null) return new SynthesizedPair(line, question, answer, null, null, null, null, false);
        using var source = JsonDocument.Parse(sourceText);
        var s = source.RootElement;
        return new SynthesizedPair(line, question, answer,
            s.TryGetProperty("source", out var f) && f.GetString() is { } file ? Path.GetFileName(file) : null,
            s.TryGetProperty("firstPage", out var fp) && fp.TryGetInt32(out var first) ? first : null,
            s.TryGetProperty("lastPage", out var lp) && lp.TryGetInt32(out var last) ? last : null,
            s.TryGetProperty("grounding", out var g) && g.TryGetDouble(out var grounding) ? grounding : null,
            s.TryGetProperty("flagged", out var fl) && fl.ValueKind == JsonValueKind.True);
    }

    private static IResult NotFound(string id) =>
        TypedResults.Problem(statusCode: 404, title: "No synthesized pairs", detail: $"job {id} has no synthesized Q&A pairs (only document jobs do, after Synthesize)");
}
