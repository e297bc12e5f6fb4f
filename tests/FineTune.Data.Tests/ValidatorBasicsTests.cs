using FineTune.Data;

namespace FineTune.Data.Tests;

public class ValidatorBasicsTests
{
    [Fact]
    public async Task Validate_GoodFile_UsableWithCountsAndNoProblems()
    {
        var report = await TestData.ValidateAsync(TestData.GoodLines(12));
        Assert.True(report.Usable);
        Assert.Equal((12, 12, 0, 0), (report.Records, report.ValidExamples, report.Errors, report.Warnings));
        Assert.Equal(DataFormat.Chat, report.Format);
        Assert.Equal(12, report.Lines);
        Assert.Equal(24, report.Statistics.Messages);
        Assert.Equal(12, report.Statistics.Turns);
    }

    [Fact]
    public async Task Validate_BadLineInStrictMode_NotUsableAndLineNumbered()
    {
        var text = TestData.GoodLines(5) + """{"messages":[{"role":"user","content":"x"},{"role":"bot","content":"y"}]}""" + "\n" + TestData.GoodLines(6, 5);
        var report = await TestData.ValidateAsync(text);
        Assert.False(report.Usable);
        var problem = report.Single("invalid_role");
        Assert.Equal(6, problem.Line);
        Assert.Equal("messages[1].role", problem.Path);
        Assert.Equal(11, report.ValidExamples);
    }

    [Fact]
    public async Task Validate_BadLineInLenientMode_UsableKeepsOthersAndListsDropped()
    {
        var text = TestData.GoodLines(5) + "{not json\n" + TestData.GoodLines(6, 5);
        var (report, kept) = await TestData.ValidateKeepingAsync(text, new ValidationOptions { Mode = ValidationMode.Lenient });
        Assert.True(report.Usable);
        var dropped = Assert.Single(report.Dropped);
        Assert.Equal((6L, "invalid_json"), (dropped.Line, dropped.Code));
        Assert.Equal(11, kept.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(1, report.DroppedExamples);
    }
}
