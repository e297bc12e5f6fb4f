using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using FineTune.Data;

namespace FineTune.Synthesis;

/// <summary>
/// A synthesis job, start to end: extract → clean → chunk every document; generate each chunk not already stored
/// (in parallel, each stored as it completes); then assemble the output in document order — near-duplicate questions
/// across chunks removed, answers scored against their chunk, every line checked with the Data rules — and write
/// OUT.jsonl (chat JSONL), OUT.jsonl.sources.jsonl (chunk id, source file, pages and grounding of each line, line by
/// line) and OUT.jsonl.report.json.
/// </summary>
public sealed class Synthesizer
{

    private readonly IChatCompletionClient _client;
    private readonly IChunkResultStore _store;
    private readonly SynthesisOptions _options;
    private readonly CallStatistics? _statistics;
    private long _requests, _promptTokens, _completionTokens;

    public Synthesizer(IChatCompletionClient client, IChunkResultStore store, SynthesisOptions options, CallStatistics? statistics = null)
    {
        _client = client;
        _store = store;
        _options = options.Validated();
        _statistics = statistics ?? (client as ResilientChatClient)?.Statistics;
    }

    /// <summary>Called as each chunk of a run ends (generated, resumed or failed): chunks done so far, and all of them.</summary>
    public Action<int, int>? ChunkDone { get; init; }

    /// <summary>Extracts, cleans and chunks the documents (no model calls).</summary>
    public async Task<IReadOnlyList<(ExtractedDocument Document, IReadOnlyList<Chunk> Chunks)>> PrepareAsync(
        IReadOnlyList<string> documents, CancellationToken ct)
    {
        var prepared = new List<(ExtractedDocument, IReadOnlyList<Chunk>)>();
        foreach (var path in documents)
        {
            var document = TextCleaner.Clean(await DocumentExtractor.ExtractAsync(path, _options.PdfToTextPath, ct));
            prepared.Add((document, Chunker.Split(document, _options.Chunking)));
        }
        return prepared;
    }

    public Task<SynthesisReport> RunAsync(IReadOnlyList<string> documents, string outputPath, CancellationToken ct) =>
        RunAsync(documents, outputPath, generate: true, ct);

    /// <summary>
    /// Generates the given chunks that are not already stored (the fan-out step of the pipeline: one call per batch of
    /// chunks, each on any host). Failed chunks are returned, not thrown; a refused request (bad key, unknown model) throws.
    /// </summary>
    public async Task<IReadOnlyList<SynthesisReport.FailedChunk>> GenerateMissingAsync(IReadOnlyList<Chunk> chunks, CancellationToken ct)
    {
        var fingerprint = _options.Fingerprint();
        var failures = new ConcurrentBag<SynthesisReport.FailedChunk>();
        try
        {
            await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = _options.ChunkParallelism, CancellationToken = ct },
                async (chunk, token) =>
                {
                    if (await _store.TryGetAsync(chunk.Id, token) is { } stored && stored.Fingerprint == fingerprint) return;
                    try
                    {
                        await _store.SaveAsync(await GenerateChunkAsync(chunk, fingerprint, token), token);
                    }
                    catch (Exception e) when (!token.IsCancellationRequested && !TransientFaults.IsFatal(e))
                    {
                        failures.Add(new SynthesisReport.FailedChunk(chunk.Id, chunk.SourceFile, chunk.PageRange, $"{TransientFaults.Describe(e)}: {e.Message}"));
                    }
                });
        }
        catch (Exception e) when (TransientFaults.IsFatal(e))
        {
            throw new SynthesisException($"the model endpoint refused the request, so the job stopped: {e.Message}", e);
        }
        return failures.OrderBy(f => f.ChunkId, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Writes the output from the stored chunk results alone, asking the model nothing (the fan-in step): chunks with no
    /// stored result are reported as failed.
    /// </summary>
    public Task<SynthesisReport> AssembleAsync(IReadOnlyList<string> documents, string outputPath, CancellationToken ct) =>
        RunAsync(documents, outputPath, generate: false, ct);

    private async Task<SynthesisReport> RunAsync(IReadOnlyList<string> documents, string outputPath, bool generate, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var prepared = await PrepareAsync(documents, ct);
        var chunks = prepared.SelectMany(p => p.Chunks).ToList();
        var fingerprint = _options.Fingerprint();

        var results = new ConcurrentDictionary<string, ChunkResult>();
        var failures = new ConcurrentBag<SynthesisReport.FailedChunk>();
        int resumed = 0, generated = 0, done = 0;
        ChunkDone?.Invoke(0, chunks.Count);
        try
        {
            await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = _options.ChunkParallelism, CancellationToken = ct },
                async (chunk, token) =>
                {
                    try { await RunChunkAsync(chunk, token); }
                    finally { ChunkDone?.Invoke(Interlocked.Increment(ref done), chunks.Count); }
                });
        }
        catch (Exception e) when (TransientFaults.IsFatal(e))
        {
            throw new SynthesisException($"the model endpoint refused the request, so the job stopped: {e.Message}", e);
        }

        async Task RunChunkAsync(Chunk chunk, CancellationToken token)
        {
            if (await _store.TryGetAsync(chunk.Id, token) is { } stored && stored.Fingerprint == fingerprint)
            {
                results[chunk.Id] = stored;
                Interlocked.Increment(ref resumed);
                return;
            }
            if (!generate)
            {
                failures.Add(new SynthesisReport.FailedChunk(chunk.Id, chunk.SourceFile, chunk.PageRange, "no result was stored for this chunk"));
                return;
            }
            try
            {
                var result = await GenerateChunkAsync(chunk, fingerprint, token);
                await _store.SaveAsync(result, token);
                results[chunk.Id] = result;
                Interlocked.Increment(ref generated);
            }
            catch (Exception e) when (!token.IsCancellationRequested && !TransientFaults.IsFatal(e))
            {
                failures.Add(new SynthesisReport.FailedChunk(chunk.Id, chunk.SourceFile, chunk.PageRange, $"{TransientFaults.Describe(e)}: {e.Message}"));
            }
        }

        var (pairs, flagged) = await WriteOutputAsync(chunks, results, outputPath, ct);
        var stats = _statistics;
        var report = new SynthesisReport
        {
            Output = outputPath,
            SourcesFile = SourcesPathFor(outputPath),
            Documents = prepared.Select(p => new SynthesisReport.DocumentSummary(
                p.Document.SourceName, p.Document.Pages.Count, p.Document.TotalCharacters, p.Chunks.Count)).ToList(),
            Chunks = new SynthesisReport.ChunkCounts(chunks.Count, generated, resumed, failures.Count,
                failures.OrderBy(f => f.ChunkId, StringComparer.Ordinal).ToList()),
            Calls = new SynthesisReport.CallCounts(
                Interlocked.Read(ref _requests),
                stats?.Attempts ?? Interlocked.Read(ref _requests),
                stats?.Retries ?? 0,
                stats?.RetriesByCause ?? new Dictionary<string, long>(),
                stats?.Failed ?? failures.Count),
            Tokens = new SynthesisReport.TokenCounts(
                Interlocked.Read(ref _promptTokens), Interlocked.Read(ref _completionTokens),
                results.Values.Sum(r => r.PromptTokens), results.Values.Sum(r => r.CompletionTokens)),
            Pairs = pairs with { FlaggedUngrounded = flagged },
            ElapsedSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
        };
        await File.WriteAllTextAsync(ReportPathFor(outputPath), JsonSerializer.Serialize(report, FolderChunkResultStore.Json), ct);
        return report;
    }

    public static string SourcesPathFor(string outputPath) => outputPath + ".sources.jsonl";
    public static string ReportPathFor(string outputPath) => outputPath + ".report.json";

    /// <summary>Asks the model about one chunk: one round, or more (each listing the questions already kept) until
    /// <see cref="SynthesisOptions.TargetPairsPerChunk"/> pairs are kept, a round adds none, or the rounds run out.</summary>
    public async Task<ChunkResult> GenerateChunkAsync(Chunk chunk, string fingerprint, CancellationToken ct)
    {
        var template = _options.EffectivePrompt;
        var target = _options.TargetPairsPerChunk ?? 0;
        var maxRounds = _options.TargetPairsPerChunk is null ? 1 : _options.MaxRoundsPerChunk;
        var kept = new List<QaPair>();
        var dropped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var seen = new QuestionDeduplicator(_options.DuplicateThreshold);
        int rounds = 0, candidates = 0;
        long promptTokens = 0, completionTokens = 0;
        do
        {
            var prompt = template.Render(_options.SystemPrompt, _options.QuestionsPerChunk, chunk.Text, kept.Select(p => p.Question).ToList());
            Interlocked.Increment(ref _requests);
            var completion = await _client.CompleteAsync(prompt, _options.Generation, ct);
            Interlocked.Add(ref _promptTokens, completion.PromptTokens);
            Interlocked.Add(ref _completionTokens, completion.CompletionTokens);
            rounds++;
            promptTokens += completion.PromptTokens;
            completionTokens += completion.CompletionTokens;

            var parsed = ModelOutputParser.Parse(completion.Text);
            candidates += parsed.Candidates;
            foreach (var (reason, count) in parsed.Dropped)
                dropped[reason] = dropped.GetValueOrDefault(reason) + count;
            var before = kept.Count;
            foreach (var pair in parsed.Pairs)
            {
                var reason = PairRules.Check(_options.SystemPrompt, pair)
                    ?? (seen.IsDuplicateOrAdd(pair.Question) ? DropReasons.DuplicateQuestion : null);
                if (reason is null)
                    kept.Add(pair);
                else
                    dropped[reason] = dropped.GetValueOrDefault(reason) + 1;
            }
            if (kept.Count == before)
                break; // a round that adds nothing will not be followed by one that does
        }
        while (rounds < maxRounds && kept.Count < target);

        return new ChunkResult
        {
            ChunkId = chunk.Id,
            SourceFile = chunk.SourceFile,
            FirstPage = chunk.FirstPage,
            LastPage = chunk.LastPage,
            Fingerprint = fingerprint,
            Rounds = rounds,
            PromptTokens = promptTokens,
            CompletionTokens = completionTokens,
            Candidates = candidates,
            Pairs = kept,
            Dropped = dropped,
            CompletedAt = DateTimeOffset.UtcNow,
        };
    }

    private async Task<(SynthesisReport.PairCounts Pairs, long Flagged)> WriteOutputAsync(
        IReadOnlyList<Chunk> chunks, IReadOnlyDictionary<string, ChunkResult> results, string outputPath, CancellationToken ct)
    {
        var dropped = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var questions = new QuestionDeduplicator(_options.DuplicateThreshold);
        long generatedPairs = 0, kept = 0, flagged = 0;
        var output = new StringBuilder();
        var sources = new StringBuilder();
        foreach (var chunk in chunks)
        {
            if (!results.TryGetValue(chunk.Id, out var result))
                continue;
            generatedPairs += result.Candidates;
            foreach (var (reason, count) in result.Dropped)
                dropped[reason] = dropped.GetValueOrDefault(reason) + count;
            var sourceFeatures = TextFeatures.Of(chunk.Text);
            foreach (var pair in result.Pairs)
            {
                // Stored results are re-checked: a checkpoint may come from an older version or a hand edit.
                var reason = PairRules.Check(_options.SystemPrompt, pair)
                    ?? (questions.IsDuplicateOrAdd(pair.Question) ? DropReasons.DuplicateQuestion : null);
                var grounding = GroundingScorer.Score(pair.Answer, sourceFeatures);
                var ungrounded = grounding < _options.GroundingThreshold;
                if (reason is null && ungrounded)
                {
                    flagged++;
                    if (_options.DropUngrounded)
                        reason = DropReasons.Ungrounded;
                }
                if (reason is not null)
                {
                    dropped[reason] = dropped.GetValueOrDefault(reason) + 1;
                    continue;
                }
                kept++;
                output.Append(ChatJsonl.ToJsonLine(PairRules.ToExample(_options.SystemPrompt, pair))).Append('\n');
                sources.Append(JsonSerializer.Serialize(
                    new SourceLine(kept, chunk.Id, chunk.SourceFile, chunk.FirstPage, chunk.LastPage, Math.Round(grounding, 3), ungrounded),
                    SynthesisJsonContext.Lines)).Append('\n');
            }
        }
        await WriteAtomicallyAsync(outputPath, output.ToString(), ct);
        await WriteAtomicallyAsync(SourcesPathFor(outputPath), sources.ToString(), ct);
        return (new SynthesisReport.PairCounts(generatedPairs, kept, dropped.Values.Sum(), dropped, 0), flagged);
    }

    private static async Task WriteAtomicallyAsync(string path, string content, CancellationToken ct)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        await File.WriteAllTextAsync(temporary, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), ct);
        File.Move(temporary, path, overwrite: true);
    }
}
