using System.Text;

namespace FineTune.Synthesis.Tests;

public sealed class ChunkerTests
{
    /// <summary>A long standard-like document: chapters with numbered clauses, Chinese and English, over many pages.</summary>
    private static ExtractedDocument LongDocument(int chapters = 40, int clauses = 20)
    {
        var pages = new List<DocumentPage>();
        for (var c = 1; c <= chapters; c++)
        {
            var text = new StringBuilder($"第{c}章 规定{c}\n\n");
            for (var k = 1; k <= clauses; k++)
                text.Append($"{c}.0.{k} 第{c}章第{k}条：火灾探测器的安装间距不应超过十五米，Detector spacing rule {c}-{k} applies to corridors and rooms. 这是为了保证报警及时。\n\n");
            pages.Add(new DocumentPage(c, text.ToString()));
        }
        return new ExtractedDocument("/data/GB 50116.pdf", pages);
    }

    [Theory]
    [InlineData(BudgetUnit.Characters, 1500, 150)]
    [InlineData(BudgetUnit.Characters, 400, 0)]
    [InlineData(BudgetUnit.Tokens, 600, 60)]
    public void Split_LongDocument_EveryChunkWithinBudgetAndEveryClauseCovered(BudgetUnit unit, int max, int overlap)
    {
        var document = LongDocument();
        var options = new ChunkingOptions { MaxSize = max, Overlap = overlap, Unit = unit };

        var chunks = Chunker.Split(document, options);

        Assert.True(document.TotalCharacters > 80_000, $"the document must exceed Dify's 80,000-character cut, has {document.TotalCharacters}");
        Assert.All(chunks, c => Assert.True(options.Measure(c.Text) <= max, $"{c.Id} measures {options.Measure(c.Text)} > {max}"));
        var all = string.Join("\n", chunks.Select(c => c.Text));
        for (var c = 1; c <= 40; c++)
            for (var k = 1; k <= 20; k++)
                Assert.Contains($"Detector spacing rule {c}-{k} applies", all);
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
        Assert.Equal(chunks.Count, chunks.Select(c => c.Id).Distinct().Count());
    }

    [Fact]
    public void Split_WithOverlap_NextChunkRepeatsTheEndOfThePreviousOne()
    {
        var pages = new[] { new DocumentPage(1, string.Join("\n\n", Enumerable.Range(1, 60).Select(i => $"Sentence number {i} talks about fire safety in detail."))) };
        var options = new ChunkingOptions { MaxSize = 500, Overlap = 120 };

        var chunks = Chunker.Split(new ExtractedDocument("a.txt", pages), options);

        Assert.True(chunks.Count > 3);
        for (var i = 1; i < chunks.Count; i++)
        {
            var previousLastLine = chunks[i - 1].Text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
            Assert.Contains(previousLastLine, chunks[i].Text);
            Assert.True(chunks[i].Text.IndexOf(previousLastLine, StringComparison.Ordinal) < 120);
        }
    }

    [Fact]
    public void Split_HeadingAfterHalfFullChunk_StartsANewChunkWithoutOverlap()
    {
        var text = "# Part A\n\n" + string.Join("\n\n", Enumerable.Repeat("Alpha text about alarms and detectors.", 10)) +
                   "\n\n# Part B\n\nBeta text about sprinklers.";
        var chunks = Chunker.Split(new ExtractedDocument("a.md", [new DocumentPage(1, text)]), new ChunkingOptions { MaxSize = 700, Overlap = 100 });

        Assert.Equal(2, chunks.Count);
        Assert.StartsWith("# Part A", chunks[0].Text);
        Assert.Equal("# Part B\n\nBeta text about sprinklers.", chunks[1].Text);
    }

    [Fact]
    public void Split_ChunksSpanningPages_CarryTheirPageRange()
    {
        var pages = Enumerable.Range(1, 6).Select(p => new DocumentPage(p, $"Page {p} paragraph with enough words to take space in the chunk budget here.\n")).ToList();

        var chunks = Chunker.Split(new ExtractedDocument("/x/manual.pdf", pages), new ChunkingOptions { MaxSize = 200, Overlap = 0 });

        Assert.Equal(3, chunks.Count);
        Assert.Equal([(1, 2), (3, 4), (5, 6)], chunks.Select(c => (c.FirstPage, c.LastPage)));
        Assert.All(chunks, c => Assert.Equal("manual.pdf", c.SourceFile));
        Assert.Equal("pp. 1-2", chunks[0].PageRange);
        Assert.StartsWith("manual-0000-", chunks[0].Id);
    }

    [Fact]
    public void Split_OneHugeLineWithoutPunctuationOrSpaces_IsCutIntoContiguousPiecesWithinBudget()
    {
        // 8,000 distinct ideographs: every chunk can be located in the text exactly.
        var text = new string(Enumerable.Range(0, 8000).Select(i => (char)(0x4E00 + i)).ToArray());
        var chunks = Chunker.Split(new ExtractedDocument("z.txt", [new DocumentPage(1, text)]), new ChunkingOptions { MaxSize = 1000, Overlap = 100 });

        var covered = 0;
        foreach (var chunk in chunks)
        {
            Assert.True(chunk.Text.Length <= 1000, $"{chunk.Text.Length} > 1000");
            var at = text.IndexOf(chunk.Text, StringComparison.Ordinal);
            Assert.True(at >= 0, "a chunk is not a contiguous piece of the text");
            Assert.True(at <= covered, $"gap before {at}");
            Assert.True(chunk.Index == 0 || covered - at is > 0 and <= 100, $"overlap {covered - at}");
            covered = at + chunk.Text.Length;
        }
        Assert.Equal(text.Length, covered);
    }

    [Fact]
    public void Split_SameInput_GivesSameIds()
    {
        var a = Chunker.Split(LongDocument(3, 5), new ChunkingOptions());
        var b = Chunker.Split(LongDocument(3, 5), new ChunkingOptions());

        Assert.Equal(a.Select(c => c.Id), b.Select(c => c.Id));
    }

    [Theory]
    [InlineData(10, 0)]
    [InlineData(1000, 600)]
    [InlineData(1000, -1)]
    public void Options_OutOfRange_AreRejected(int max, int overlap)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChunkingOptions { MaxSize = max, Overlap = overlap }.Validated());
    }
}
