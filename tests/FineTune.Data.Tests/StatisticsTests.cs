using System.Text.Json;
using FineTune.Data;

namespace FineTune.Data.Tests;

public class StatisticsTests
{
    /// <summary>Counts 10 tokens per message: exact numbers to check the statistics against.</summary>
    private sealed class TenPerMessage : ITokenCounter
    {
        public int CountTokens(ChatExample example) => 10 * example.Messages.Count;
    }

    private static string Turns(int pairs, int tag) =>
        "{\"messages\":[" + string.Join(",", Enumerable.Range(0, pairs).Select(i =>
            $$"""{"role":"user","content":"q{{tag}}.{{i}}"},{"role":"assistant","content":"a{{tag}}.{{i}}"}""")) + "]}";

    [Fact]
    public async Task Statistics_WithTokenCounter_ExactMinMeanP95MaxTotalAndBilling()
    {
        // 20 examples: 19 of one pair (20 tokens), 1 of five pairs (100 tokens).
        var lines = Enumerable.Range(0, 19).Select(i => Turns(1, i)).Append(Turns(5, 99));
        var report = await TestData.ValidateAsync(string.Join("\n", lines),
            new ValidationOptions { TokenCounter = new TenPerMessage(), TokenCounterName = "test", MaxTokens = 50, Epochs = 4 });
        var s = report.Statistics;
        Assert.Equal((20L, 48L, 24L), (s.Examples, s.Messages, s.Turns));
        Assert.Equal(new TokenStatistics(20, 24, 20, 100, 480), s.Tokens);
        Assert.Equal((1L, 1920L, "test"), (s.OverMaxTokens, s.TrainingTokens, s.TokenCounter));
        var tooLong = report.Single("too_long");
        Assert.Equal((20L, Severity.Warning), (tooLong.Line, tooLong.Severity));
        Assert.True(report.Usable);
    }

    [Fact]
    public void EstimatingCounter_AsciiQuarterCjkOnePerChar()
    {
        Assert.Equal(3, EstimatingTokenCounter.EstimateText("hello world!"));
        Assert.Equal(4, EstimatingTokenCounter.EstimateText("日本語で"));
        Assert.Equal(1 + 2, EstimatingTokenCounter.EstimateText("ab 日本"));
        Assert.Equal(3 + 2 * (4 + 3), EstimatingTokenCounter.Instance.CountTokens(ChatExample.Of(new("user", "hello world!"), new("assistant", "hello world!"))));
        var longText = new string('é', 1000) + new string('a', 1000);
        Assert.Equal(1000 + 250, EstimatingTokenCounter.EstimateText(longText));
    }

    [Fact]
    public async Task Duplicates_ExactAndNormalized_WarnWithFirstLine()
    {
        var text = TestData.GoodLines(10) +
                   TestData.GoodLine(3) + "\n" +
                   """{"messages":[{"role":"user","content":"  QUESTION 4?"},{"role":"assistant","content":"Answer\t\t4. "}]}""" + "\n";
        var report = await TestData.ValidateAsync(text);
        var exact = report.Single("duplicate");
        Assert.Equal(11, exact.Line);
        Assert.Contains("line 4", exact.Message);
        var near = report.Single("near_duplicate");
        Assert.Equal(12, near.Line);
        Assert.Contains("line 5", near.Message);
        Assert.Equal((1L, 1L), (report.Statistics.Duplicates, report.Statistics.NearDuplicates));
        Assert.True(report.Usable);
    }

    [Fact]
    public async Task TooFewExamples_WarnsBelowTen()
    {
        var report = await TestData.ValidateAsync(TestData.GoodLines(9));
        var problem = report.Single("too_few_examples");
        Assert.Equal((0L, Severity.Warning), (problem.Line, problem.Severity));
        Assert.True(report.Usable);
        Assert.DoesNotContain(report.Problems, p => p.Code == "too_few_examples" && report.ValidExamples >= 10);
    }

    [Fact]
    public async Task Report_Sha256_OfTheInputBytes()
    {
        var text = TestData.GoodLines(10);
        var report = await TestData.ValidateAsync(text);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        Assert.Equal(expected, report.Sha256);
    }

    [Fact]
    public async Task ReportJson_ProblemsCarryLinePathSeverityCodeMessageExcerpt()
    {
        var report = await TestData.ValidateAsync(TestData.GoodLines(10) + """{"messages":[{"role":"user","content":"q"},{"role":"robot","content":"a"}]}""");
        using var doc = JsonDocument.Parse(ValidationReportJson.Serialize(report));
        var root = doc.RootElement;
        Assert.False(root.GetProperty("usable").GetBoolean());
        Assert.Equal(10, root.GetProperty("valid_examples").GetInt64());
        Assert.Equal("chat", root.GetProperty("format").GetString());
        Assert.Equal("strict", root.GetProperty("mode").GetString());
        Assert.Equal(report.Sha256, root.GetProperty("sha256").GetString());
        var problem = root.GetProperty("problems")[0];
        Assert.Equal(11, problem.GetProperty("line").GetInt64());
        Assert.Equal("messages[1].role", problem.GetProperty("path").GetString());
        Assert.Equal("error", problem.GetProperty("severity").GetString());
        Assert.Equal("invalid_role", problem.GetProperty("code").GetString());
        Assert.Contains("robot", problem.GetProperty("message").GetString());
        Assert.Equal("a", problem.GetProperty("excerpt").GetString());
        Assert.Equal(1, root.GetProperty("counts_by_code").GetProperty("invalid_role").GetInt64());
        Assert.True(root.GetProperty("statistics").GetProperty("tokens").TryGetProperty("p95", out _));

        var back = ValidationReportJson.Deserialize(ValidationReportJson.Serialize(report));
        Assert.Equal(report.Problems, back.Problems);
    }

    [Fact]
    public async Task ReportText_GroupsByCodeWithFirstLines()
    {
        var bad = """{"messages":[{"role":"user","content":"q"}]}""";
        var text = string.Join("\n", Enumerable.Repeat(bad, 8)) + "\n" + TestData.GoodLines(10);
        var report = await TestData.ValidateAsync(text, new ValidationOptions { Mode = ValidationMode.Lenient });
        var human = ValidationReportText.Format(report, "data.jsonl", linesPerCode: 3);
        Assert.Contains("data.jsonl: usable", human);
        Assert.Contains("error no_pair (8×)", human);
        Assert.Contains("line 3 messages: no user message", human);
        Assert.DoesNotContain("line 4 ", human);
        Assert.Contains("… and 5 more", human);
    }

    [Fact]
    public async Task Report_CappedProblems_CountsStayExact()
    {
        var bad = """{"messages":[]}""";
        var report = await TestData.ValidateAsync(string.Join("\n", Enumerable.Repeat(bad, 50)),
            new ValidationOptions { MaxReportedProblems = 10, Mode = ValidationMode.Lenient });
        Assert.Equal(10, report.Problems.Count);
        Assert.Equal(50, report.Errors);
        Assert.Equal(50, report.CountsByCode["empty_messages"]);
        Assert.True(report.Truncated);
    }
}
