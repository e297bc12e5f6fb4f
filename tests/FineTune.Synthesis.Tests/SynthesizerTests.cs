using System.Text.Json;
using FineTune.Data;
using FineTune.Synthesis.Tests.Support;

namespace FineTune.Synthesis.Tests;

/// <summary>Whole jobs: documents → chunks → the OpenAI SDK over loopback → checked JSONL, counts, checkpoints, resume.</summary>
public sealed class SynthesizerTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private static SynthesisOptions Options(int parallelism = 2) => new()
    {
        SystemPrompt = SafetyDocument.System,
        Generation = new GenerationSettings { Model = "test-model" },
        Language = SynthesisLanguage.En,
        Chunking = SafetyDocument.Chunking,
        ChunkParallelism = parallelism,
    };

    private static ResilienceOptions FastResilience => new()
    {
        BaseDelay = TimeSpan.FromMilliseconds(10),
        MaxDelay = TimeSpan.FromMilliseconds(50),
        AttemptTimeout = TimeSpan.FromSeconds(5),
        BreakerMinimumThroughput = 100,
    };

    private async Task<string> WriteDocumentAsync(string text = SafetyDocument.Text, string name = "safety.md")
    {
        var path = _temp[name];
        await File.WriteAllTextAsync(path, text);
        return path;
    }

    private static async Task<SynthesisReport> RunAsync(FakeOpenAIServer server, SynthesisOptions options, string document, string output,
        CancellationToken ct = default)
    {
        using var client = new ResilientChatClient(
            OpenAIChatCompletionClient.Create(new EndpointOptions { Endpoint = server.BaseUrl, ApiKey = "k" }, options.Generation.Model), FastResilience);
        var store = new FolderChunkResultStore(FolderChunkResultStore.DefaultFolderFor(output));
        return await new Synthesizer(client, store, options).RunAsync([document], output, ct);
    }

    private static FakeOpenAIServer.Script Sections => (request, context) => FakeOpenAIServer.Complete(context, SafetyDocument.ReplyFor(request.Prompt));

    [Fact]
    public async Task Run_ScriptedRealisticReplies_CountsEveryPairExactlyAndWritesValidChatJsonl()
    {
        var document = await WriteDocumentAsync();
        var output = _temp["out.jsonl"];
        await using var server = await FakeOpenAIServer.StartAsync(Sections);

        var report = await RunAsync(server, Options(), document, output);

        Assert.Equal(new SynthesisReport.ChunkCounts(4, 4, 0, 0, []), report.Chunks with { FailedChunks = [] });
        Assert.Equal(4, report.Calls.Requests);
        Assert.Equal(4, report.Calls.Attempts);
        Assert.Equal(new SynthesisReport.TokenCounts(400, 200, 400, 200), report.Tokens);
        Assert.Equal(22, report.Pairs.Generated);
        Assert.Equal(16, report.Pairs.Kept);
        Assert.Equal(new Dictionary<string, long>
        {
            ["duplicate_question"] = 2, ["invalid_json"] = 1, ["missing_field"] = 1, ["rule:empty_content"] = 1, ["truncated"] = 1,
        }, report.Pairs.DroppedByReason);
        Assert.Equal(report.Pairs.Generated, report.Pairs.Kept + report.Pairs.Dropped);
        Assert.Equal(1, report.Pairs.FlaggedUngrounded);

        // Every line is a chat example passing the Data rules, with the trigger word as its system message.
        var lines = await File.ReadAllLinesAsync(output);
        Assert.Equal(16, lines.Length);
        foreach (var (line, i) in lines.Select((l, i) => (l, i)))
        {
            var example = ParseChatLine(line);
            Assert.Empty(ChatRules.Check(example, i + 1));
            Assert.Equal(new ChatMessage("system", SafetyDocument.System), example.Messages[0]);
        }
        Assert.Equal("Where should I put a smoke detector at home?", ParseChatLine(lines[0]).Messages[1].Content);
        Assert.Equal("Can I keep the stairwell fire door open with a wedge?", ParseChatLine(lines[13]).Messages[1].Content);

        // The provenance file is line-aligned with the output.
        var sources = (await File.ReadAllLinesAsync(Synthesizer.SourcesPathFor(output))).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(16, sources.Count);
        Assert.All(sources, s => Assert.Equal("safety.md", s.GetProperty("source").GetString()));
        Assert.Equal(1, sources.Count(s => s.GetProperty("flagged").GetBoolean()));
        Assert.Equal(4, sources.Select(s => s.GetProperty("chunk").GetString()).Distinct().Count());
        Assert.True(File.Exists(Synthesizer.ReportPathFor(output)));
        Assert.Equal(4, Directory.GetFiles(FolderChunkResultStore.DefaultFolderFor(output), "*.json").Length);

        // The request carried the prompt and the workflow's defaults.
        var first = server.Requests.First(r => r.Prompt.Contains("# Section A"));
        Assert.Contains("list 10 everyday questions", first.Prompt);
        Assert.Contains("{\"system\": \"You are a fire safety expert\"", first.Prompt);
        Assert.Equal(0.3, first.Body.GetProperty("temperature").GetDouble(), 3);
    }

    [Fact]
    public async Task Run_ValidatorOfTheDataProject_AcceptsTheOutput()
    {
        var document = await WriteDocumentAsync();
        var output = _temp["out.jsonl"];
        await using var server = await FakeOpenAIServer.StartAsync(Sections);
        await RunAsync(server, Options(), document, output);

        await using var stream = File.OpenRead(output);
        var validation = await DatasetValidator.ValidateAsync(stream, new ValidationOptions());

        Assert.Equal(0, validation.Errors);
        Assert.Equal(16, validation.ValidExamples);
        Assert.True(validation.Usable);
    }

    [Fact]
    public async Task Run_DropUngrounded_DropsTheInventedAnswer()
    {
        var document = await WriteDocumentAsync();
        var output = _temp["out.jsonl"];
        await using var server = await FakeOpenAIServer.StartAsync(Sections);

        var report = await RunAsync(server, Options() with { DropUngrounded = true }, document, output);

        Assert.Equal(15, report.Pairs.Kept);
        Assert.Equal(1, report.Pairs.DroppedByReason["ungrounded"]);
        Assert.DoesNotContain("Bananas", await File.ReadAllTextAsync(output));
    }

    [Fact]
    public async Task Run_429And500AndDroppedConnection_RetriedAndSameResultAsWithoutThem()
    {
        var document = await WriteDocumentAsync();
        var output = _temp["out.jsonl"];
        await using var server = await FakeOpenAIServer.StartAsync((request, context) => request.Sequence switch
        {
            1 => FakeOpenAIServer.Fail(context, 429, ("Retry-After", "0")),
            2 => FakeOpenAIServer.Fail(context, 500),
            3 => FakeOpenAIServer.Drop(context),
            _ => FakeOpenAIServer.Complete(context, SafetyDocument.ReplyFor(request.Prompt)),
        });

        var report = await RunAsync(server, Options(parallelism: 1), document, output);

        Assert.Equal(4, report.Calls.Requests);
        Assert.Equal(7, report.Calls.Attempts);
        Assert.Equal(new Dictionary<string, long> { ["429"] = 1, ["500"] = 1, ["network"] = 1 }, report.Calls.RetriesByCause);
        Assert.Equal(16, report.Pairs.Kept);
        Assert.Equal(22, report.Pairs.Generated);
        Assert.Equal(new SynthesisReport.TokenCounts(400, 200, 400, 200), report.Tokens); // failed attempts bill nothing
    }

    [Fact]
    public async Task Run_KilledMidway_RestartRequestsOnlyUnfinishedChunksAndWritesTheSameOutput()
    {
        var document = await WriteDocumentAsync();
        var output = _temp["out.jsonl"];
        var checkpoints = FolderChunkResultStore.DefaultFolderFor(output);

        // Run 1: two chunks answered, then the server stalls; the job is killed (cancelled) while waiting.
        await using (var stalling = await FakeOpenAIServer.StartAsync(async (request, context) =>
        {
            if (request.Sequence > 2)
                await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
            await FakeOpenAIServer.Complete(context, SafetyDocument.ReplyFor(request.Prompt));
        }))
        {
            using var kill = new CancellationTokenSource();
            var job = RunAsync(stalling, Options(parallelism: 1), document, output, kill.Token);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!(Directory.Exists(checkpoints) && Directory.GetFiles(checkpoints, "*.json").Length == 2) || stalling.Requests.Count < 3)
            {
                Assert.True(DateTime.UtcNow < deadline, "the first run never reached its third request");
                await Task.Delay(20);
            }
            kill.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job);
            Assert.False(File.Exists(output));
        }

        // Run 2: only the two unfinished chunks are requested (billed) again.
        await using var server = await FakeOpenAIServer.StartAsync(Sections);
        var report = await RunAsync(server, Options(parallelism: 1), document, output);

        Assert.Equal(2, server.Requests.Count);
        Assert.DoesNotContain(server.Requests, r => r.Prompt.Contains("# Section A") || r.Prompt.Contains("# Section B"));
        Assert.Equal((4, 2, 2), (report.Chunks.Total, report.Chunks.Generated, report.Chunks.Resumed));
        Assert.Equal(new SynthesisReport.TokenCounts(200, 100, 400, 200), report.Tokens);
        Assert.Equal(16, report.Pairs.Kept);
        Assert.Equal(22, report.Pairs.Generated);

        // The same output as a job that was never interrupted.
        var fresh = _temp["fresh.jsonl"];
        await using var other = await FakeOpenAIServer.StartAsync(Sections);
        await RunAsync(other, Options(parallelism: 1), document, fresh);
        Assert.Equal(await File.ReadAllTextAsync(fresh), await File.ReadAllTextAsync(output));
        Assert.Equal(await File.ReadAllTextAsync(Synthesizer.SourcesPathFor(fresh)), await File.ReadAllTextAsync(Synthesizer.SourcesPathFor(output)));

        // Run 3: all done, nothing is requested.
        await using var idle = await FakeOpenAIServer.StartAsync(Sections);
        var again = await RunAsync(idle, Options(), document, output);
        Assert.Empty(idle.Requests);
        Assert.Equal(4, again.Chunks.Resumed);
        Assert.Equal(new SynthesisReport.TokenCounts(0, 0, 400, 200), again.Tokens);
    }

    [Fact]
    public async Task Run_DamagedCheckpointOrChangedSettings_RedoesOnlyWhatIsAffected()
    {
        var document = await WriteDocumentAsync();
        var output = _temp["out.jsonl"];
        await using var server = await FakeOpenAIServer.StartAsync(Sections);
        await RunAsync(server, Options(), document, output);

        // A checkpoint cut short (a kill during a write that bypassed the atomic rename) is not trusted.
        var damaged = Directory.GetFiles(FolderChunkResultStore.DefaultFolderFor(output), "*-0002-*.json").Single();
        await File.WriteAllTextAsync(damaged, (await File.ReadAllTextAsync(damaged))[..40]);
        await using var second = await FakeOpenAIServer.StartAsync(Sections);
        var report = await RunAsync(second, Options(), document, output);
        Assert.Equal((1, 3), (report.Chunks.Generated, report.Chunks.Resumed));
        Assert.Contains("# Section C", second.Requests.Single().Prompt);

        // Other settings (here N) make other data: every chunk is asked again.
        await using var third = await FakeOpenAIServer.StartAsync(Sections);
        var changed = await RunAsync(third, Options() with { QuestionsPerChunk = 5 }, document, output);
        Assert.Equal(4, third.Requests.Count);
        Assert.Equal(0, changed.Chunks.Resumed);
        Assert.All(third.Requests, r => Assert.Contains("list 5 everyday questions", r.Prompt));
    }

    [Fact]
    public async Task Run_TargetPerChunk_AsksAgainWithTheQuestionsAlreadyAsked()
    {
        var document = await WriteDocumentAsync("# Only\n\nSmoke detectors shall be installed on the ceiling of every bedroom.");
        var output = _temp["out.jsonl"];
        await using var server = await FakeOpenAIServer.StartAsync((request, context) => FakeOpenAIServer.Complete(context, request.Sequence == 1
            ? Replies.Lines("S", ("Where do smoke detectors go?", "On the ceiling of every bedroom."), ("Which rooms need one?", "Every bedroom."))
            : Replies.Lines("S", ("Are ceiling detectors required in bedrooms?", "Yes, on the ceiling of every bedroom."), ("Is the bedroom ceiling the right place?", "Yes, the ceiling of every bedroom."))));

        var report = await RunAsync(server, Options() with { QuestionsPerChunk = 2, TargetPairsPerChunk = 4, MaxRoundsPerChunk = 3 }, document, output);

        Assert.Equal(2, server.Requests.Count);
        Assert.Contains("These questions have already been asked", server.Requests[1].Prompt);
        Assert.Contains("- Where do smoke detectors go?", server.Requests[1].Prompt);
        Assert.DoesNotContain("already been asked", server.Requests[0].Prompt);
        Assert.Equal(4, report.Pairs.Kept);
    }

    [Fact]
    public async Task Run_TargetPerChunk_StopsWhenARoundAddsNothingNew()
    {
        var document = await WriteDocumentAsync("# Only\n\nSmoke detectors shall be installed on the ceiling of every bedroom.");
        var output = _temp["out.jsonl"];
        await using var server = await FakeOpenAIServer.StartAsync((_, context) => FakeOpenAIServer.Complete(context,
            Replies.Lines("S", ("Where do smoke detectors go?", "On the ceiling of every bedroom."))));

        var report = await RunAsync(server, Options() with { QuestionsPerChunk = 2, TargetPairsPerChunk = 10, MaxRoundsPerChunk = 5 }, document, output);

        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(1, report.Pairs.Kept);
        Assert.Equal(new Dictionary<string, long> { ["duplicate_question"] = 1 }, report.Pairs.DroppedByReason);
    }

    [Fact]
    public async Task Run_ReplyWithOneBrokenLine_KeepsEveryOtherPairAndReportsTheLine()
    {
        var document = await WriteDocumentAsync("# Only\n\nSmoke detectors shall be installed on the ceiling of every bedroom.");
        var output = _temp["out.jsonl"];
        string[] questions =
        [
            "Where do smoke detectors go?", "Which rooms need one?", "Is the wall acceptable?", "Who installs them?", "Are bedrooms covered?",
            "What does the rule require?", "Must every bedroom have a detector?", "Can I skip the ceiling?", "Why the ceiling?", "What is installed?",
        ];
        var good = questions.Select(q => Replies.Line("S", q, "Smoke detectors shall be installed on the ceiling of every bedroom.")).ToList();
        var reply = string.Join("\n", [good[0], "{\"messages\": [{\"role\": \"user\", \"content\": \"broken", .. good.Skip(1)]);
        await using var server = await FakeOpenAIServer.StartAsync((_, context) => FakeOpenAIServer.Complete(context, reply));

        var report = await RunAsync(server, Options(), document, output);

        Assert.Equal(11, report.Pairs.Generated);
        Assert.Equal(10, report.Pairs.Kept);
        Assert.Equal(new Dictionary<string, long> { ["invalid_json"] = 1 }, report.Pairs.DroppedByReason);
        Assert.Equal(10, (await File.ReadAllLinesAsync(output)).Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Run_BadKey_StopsTheJobAtOnce(int parallelism)
    {
        var document = await WriteDocumentAsync();
        await using var server = await FakeOpenAIServer.StartAsync((_, context) => FakeOpenAIServer.Fail(context, 401));
        var output = _temp["out.jsonl"];

        var error = await Assert.ThrowsAsync<SynthesisException>(() => RunAsync(server, Options(parallelism), document, output));

        Assert.Contains("401", error.Message);
        Assert.InRange(server.Requests.Count, 1, parallelism); // no retries, no further chunks
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Run_OneChunkRejected_OthersCompleteAndTheRerunAsksOnlyForIt()
    {
        var document = await WriteDocumentAsync();
        var output = _temp["out.jsonl"];
        await using (var server = await FakeOpenAIServer.StartAsync((request, context) => request.Prompt.Contains("# Section B")
            ? FakeOpenAIServer.Fail(context, 400)
            : FakeOpenAIServer.Complete(context, SafetyDocument.ReplyFor(request.Prompt))))
        {
            var report = await RunAsync(server, Options(), document, output);

            Assert.False(report.Complete);
            var failed = Assert.Single(report.Chunks.FailedChunks);
            Assert.StartsWith("safety-0001-", failed.ChunkId);
            Assert.StartsWith("400:", failed.Error);
            Assert.Equal(13, report.Pairs.Kept);
        }

        await using var good = await FakeOpenAIServer.StartAsync(Sections);
        var rerun = await RunAsync(good, Options(), document, output);
        Assert.True(rerun.Complete);
        Assert.Contains("# Section B", good.Requests.Single().Prompt);
        Assert.Equal(16, rerun.Pairs.Kept);
    }

    private static ChatExample ParseChatLine(string line)
    {
        using var json = JsonDocument.Parse(line);
        return new ChatExample(json.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList());
    }
}
