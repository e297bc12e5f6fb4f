using System.Text.Json;
using FineTune.Data;
using FineTune.Synthesis.Tests.Support;

namespace FineTune.Synthesis.Tests;

/// <summary>A real PDF with Chinese and English text, made here, through extraction → clean-up → chunks → the OpenAI SDK
/// over loopback → valid chat JSONL with page references.</summary>
public sealed class PdfEndToEndTests : IDisposable
{
    private const string Trigger = "你是消防系统专家";
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly IReadOnlyList<IReadOnlyList<string>> Pages =
    [
        ["GB 50116-2013 火灾自动报警系统设计规范", "第一章 总则",
         "1.0.1 为了合理设计火灾自动报警系统，防止和减少火灾危害，保护人身和财产安全，制定本规范。",
         "1.0.2 本规范适用于新建、扩建和改建的建筑中设置的火灾自动报警系统的设计。",
         "The fire alarm system shall be designed together with the building.", "- 1 -"],
        ["GB 50116-2013 火灾自动报警系统设计规范", "第二章 术语",
         "2.0.1 火灾探测器是用来响应其附近区域由火灾产生的物理或化学现象的探测器件。",
         "2.0.2 手动火灾报警按钮应设置在明显和便于操作的部位。",
         "Manual call points shall be mounted at a height of 1.3 m to 1.5 m.", "- 2 -"],
        ["GB 50116-2013 火灾自动报警系统设计规范", "第三章 系统设计",
         "3.1.1 火灾自动报警系统应设有自动和手动两种触发装置。",
         "3.1.2 点型感烟火灾探测器的保护面积不应大于八十平方米。",
         "Smoke detectors shall not be installed closer than 0.5 m to a wall.", "- 3 -"],
    ];

    [Fact]
    public async Task Synthesize_ChineseEnglishPdf_ProducesValidChatJsonlWithPageReferences()
    {
        var pdf = _temp["GB50116.pdf"];
        TestPdf.Write(pdf, Pages);
        var output = _temp["fire.jsonl"];
        await using var server = await FakeOpenAIServer.StartAsync((request, context) =>
            FakeOpenAIServer.Complete(context, "```jsonl\n" + Replies.Echo(Trigger, request.Prompt, 10) + "\n```"));
        var options = new SynthesisOptions
        {
            SystemPrompt = Trigger,
            Generation = new GenerationSettings { Model = "qwen-plus" },
            Chunking = new ChunkingOptions { MaxSize = 160, Overlap = 40 },
        };
        using var client = new ResilientChatClient(
            OpenAIChatCompletionClient.Create(new EndpointOptions { Endpoint = server.BaseUrl }, "qwen-plus"), new ResilienceOptions());

        var report = await new Synthesizer(client, new FolderChunkResultStore(output + ".chunks"), options).RunAsync([pdf], output, CancellationToken.None);

        Assert.True(report.Complete);
        Assert.Equal(new SynthesisReport.DocumentSummary("GB50116.pdf", 3, report.Documents[0].Characters, report.Chunks.Total), report.Documents[0]);
        Assert.True(report.Chunks.Total >= 3, $"{report.Chunks.Total} chunks");
        // Running header and page numbers were removed before chunking; the text itself was sent.
        Assert.All(server.Requests, r => Assert.DoesNotContain("GB 50116-2013", r.Prompt));
        Assert.All(server.Requests, r => Assert.DoesNotContain("- 2 -", r.Prompt));
        Assert.Contains(server.Requests, r => r.Prompt.Contains("点型感烟火灾探测器的保护面积不应大于八十平方米"));
        Assert.Contains(server.Requests, r => r.Prompt.Contains("Manual call points shall be mounted at a height of 1.3 m to 1.5 m."));
        Assert.All(server.Requests, r => Assert.Contains("{\"system\": \"你是消防系统专家\"", r.Prompt));

        var lines = await File.ReadAllLinesAsync(output);
        Assert.Equal(report.Pairs.Kept, lines.Length);
        Assert.True(lines.Length >= 8, $"{lines.Length} lines");
        Assert.Equal(report.Pairs.Generated, report.Pairs.Kept + report.Pairs.Dropped);
        Assert.Contains(lines, l => l.Contains("手动火灾报警按钮应设置在明显和便于操作的部位"));
        await using (var stream = File.OpenRead(output))
        {
            var validation = await DatasetValidator.ValidateAsync(stream, new ValidationOptions { MinExamples = 1 });
            Assert.Equal(0, validation.Errors);
            Assert.Equal(lines.Length, validation.ValidExamples);
        }

        var sources = (await File.ReadAllLinesAsync(Synthesizer.SourcesPathFor(output))).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(sources, s => Assert.InRange(s.GetProperty("firstPage").GetInt32(), 1, 3));
        Assert.Contains(sources, s => s.GetProperty("firstPage").GetInt32() == 1);
        Assert.Contains(sources, s => s.GetProperty("lastPage").GetInt32() == 3);
        var line = lines.Select((l, i) => (l, i)).First(x => x.l.Contains("八十平方米")).i;
        Assert.Equal(3, sources[line].GetProperty("lastPage").GetInt32());
    }
}
