using FineTune.Synthesis.Tests.Support;

namespace FineTune.Synthesis.Tests;

public sealed class ExtractionTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Pdf_ChineseAndEnglishOnThreePages_ExtractsTextWithPageNumbers()
    {
        var pdf = _temp["gb50116.pdf"];
        TestPdf.Write(pdf, [
            ["第一章 总则", "1.0.1 为了合理设计火灾自动报警系统，制定本规范。", "Fire alarm systems protect people."],
            ["第二章 术语", "2.0.1 火灾探测器 fire detector"],
            ["第三章 基本规定", "3.1.1 系统应设有自动和手动两种触发装置。"],
        ]);

        var document = await DocumentExtractor.ExtractAsync(pdf);

        Assert.Equal([1, 2, 3], document.Pages.Select(p => p.Number));
        Assert.Contains("为了合理设计火灾自动报警系统，制定本规范。", document.Pages[0].Text);
        Assert.Contains("Fire alarm systems protect people.", document.Pages[0].Text);
        Assert.Contains("火灾探测器 fire detector", document.Pages[1].Text);
        Assert.DoesNotContain("火灾探测器", document.Pages[0].Text);
        Assert.Contains("自动和手动", document.Pages[2].Text);
    }

    [Fact]
    public async Task Pdf_WhenPdftotextIsMissing_ThrowsErrorNamingPopplerUtils()
    {
        var pdf = _temp["a.pdf"];
        TestPdf.Write(pdf, [["hello"]]);

        var error = await Assert.ThrowsAsync<ExtractionException>(() => DocumentExtractor.ExtractAsync(pdf, "pdftotext-not-installed-here"));

        Assert.Contains("poppler-utils", error.Message);
        Assert.Contains("pdftotext-not-installed-here", error.Message);
    }

    [Fact]
    public async Task Pdf_WhenFileIsNotAPdf_ThrowsWithPdftotextMessage()
    {
        var fake = _temp["fake.pdf"];
        await File.WriteAllTextAsync(fake, "this is not a pdf");

        var error = await Assert.ThrowsAsync<ExtractionException>(() => DocumentExtractor.ExtractAsync(fake));

        Assert.Contains("pdftotext failed", error.Message);
    }

    [Fact]
    public async Task Docx_HeadingsTablesAndPageBreaks_BecomeMarkdownLinesOnTheirPages()
    {
        var docx = _temp["manual.docx"];
        TestDocx.Write(docx,
            new TestDocx.Heading(1, "消防设备维护"),
            new TestDocx.Paragraph("灭火器每月检查一次。"),
            new TestDocx.Table([["设备", "周期"], ["灭火器", "每月"]]),
            new TestDocx.PageBreak(),
            new TestDocx.Heading(2, "Alarms & sirens"),
            new TestDocx.Paragraph("Test the siren <weekly>."));

        var document = await DocumentExtractor.ExtractAsync(docx);

        Assert.Equal(2, document.Pages.Count);
        Assert.Contains("# 消防设备维护\n", document.Pages[0].Text);
        Assert.Contains("灭火器每月检查一次。", document.Pages[0].Text);
        Assert.Contains("设备 | 周期\n灭火器 | 每月", document.Pages[0].Text);
        Assert.Contains("## Alarms & sirens", document.Pages[1].Text);
        Assert.Contains("Test the siren <weekly>.", document.Pages[1].Text);
    }

    [Fact]
    public async Task Docx_WhenNotAZip_ThrowsExtractionException()
    {
        var bad = _temp["bad.docx"];
        await File.WriteAllTextAsync(bad, "plain text pretending");

        await Assert.ThrowsAsync<ExtractionException>(() => DocumentExtractor.ExtractAsync(bad));
    }

    [Fact]
    public async Task PlainText_FormFeedsAndCrLf_SplitPagesAndNormalizeLines()
    {
        var txt = _temp["notes.txt"];
        await File.WriteAllTextAsync(txt, "page one\r\nline two\fpage two\f");

        var document = await DocumentExtractor.ExtractAsync(txt);

        Assert.Equal(2, document.Pages.Count);
        Assert.Equal("page one\nline two", document.Pages[0].Text);
        Assert.Equal("page two", document.Pages[1].Text);
    }

    [Fact]
    public async Task Extract_UnsupportedExtension_ListsSupportedOnes()
    {
        var file = _temp["sheet.xlsx"];
        await File.WriteAllTextAsync(file, "x");

        var error = await Assert.ThrowsAsync<ExtractionException>(() => DocumentExtractor.ExtractAsync(file));

        Assert.Contains(".pdf", error.Message);
        Assert.Contains(".docx", error.Message);
    }
}
