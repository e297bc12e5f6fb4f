namespace FineTune.Synthesis.Tests;

public sealed class TextCleanerTests
{
    private static ExtractedDocument Doc(params string[] pages) =>
        new("doc.pdf", pages.Select((text, i) => new DocumentPage(i + 1, text)).ToList());

    [Fact]
    public void Clean_RunningHeaderFooterAndPageNumbers_AreRemovedFromEveryPage()
    {
        var document = Doc(
            "GB 50116-2013 火灾自动报警系统设计规范\n第一章 总则\n正文一。\n- 1 -",
            "GB 50116-2013 火灾自动报警系统设计规范\n正文二。\n- 2 -",
            "GB 50116-2013 火灾自动报警系统设计规范\n正文三。\n第 3 页 共 4 页",
            "GB 50116-2013 火灾自动报警系统设计规范\n正文四。\nPage 4 of 4");

        var cleaned = TextCleaner.Clean(document);

        Assert.Equal("第一章 总则\n正文一。\n", cleaned.Pages[0].Text);
        Assert.Equal(["正文二。\n", "正文三。\n", "正文四。\n"], cleaned.Pages.Skip(1).Select(p => p.Text));
    }

    [Fact]
    public void Clean_HeaderOnFewerThanHalfThePages_IsKept()
    {
        var document = Doc("Intro line\nbody one.", "Other\nbody two.", "Intro line\nbody three.", "Else\nbody four.", "More\nbody five.");

        var cleaned = TextCleaner.Clean(document);

        Assert.StartsWith("Intro line", cleaned.Pages[0].Text);
    }

    [Fact]
    public void Clean_HyphenatedAndHardWrappedEnglish_IsJoinedIntoOneParagraph()
    {
        var text = "The fire alarm control panel shall be installed in a place that is easy to\n" +
                   "reach and observe, and the system shall be designed so that it is gener-\n" +
                   "ally reliable in operation under all normal conditions of the building.\n" +
                   "Short end.\n\n" +
                   "3.2 Scope\n" +
                   "Next paragraph starts here.";

        var cleaned = TextCleaner.Clean(Doc(text)).Pages[0].Text;

        Assert.Contains("easy to reach and observe, and the system shall be designed so that it is generally reliable in operation", cleaned);
        Assert.Contains("\n3.2 Scope\nNext paragraph starts here.", cleaned);
    }

    [Fact]
    public void Clean_HardWrappedChinese_IsJoinedWithoutSpaces()
    {
        var text = "1.0.1 为了合理设计火灾自动报警系统，防止和减少火灾危害，保护人身和财产安全，\n" +
                   "制定本规范。\n" +
                   "1.0.2 本规范适用于新建、扩建和改建的建（构）筑物中设置的火灾自动报警系统的\n" +
                   "设计。";

        var cleaned = TextCleaner.Clean(Doc(text)).Pages[0].Text;

        Assert.Equal("1.0.1 为了合理设计火灾自动报警系统，防止和减少火灾危害，保护人身和财产安全，制定本规范。\n" +
                     "1.0.2 本规范适用于新建、扩建和改建的建（构）筑物中设置的火灾自动报警系统的设计。\n", cleaned);
    }

    [Fact]
    public void Clean_MarkdownListsHeadingsAndCodeFences_AreNotJoined()
    {
        var text = "# Title that is long enough to look like a full width line of text here\n" +
                   "- first item that is also rather long so it reaches the typical width\n" +
                   "- second item\n" +
                   "```\n" +
                   "code line one that is very long and should never be joined with the next\n" +
                   "code line two\n" +
                   "```";

        var cleaned = TextCleaner.Clean(Doc(text)).Pages[0].Text;

        Assert.Equal(text + "\n", cleaned);
    }
}
