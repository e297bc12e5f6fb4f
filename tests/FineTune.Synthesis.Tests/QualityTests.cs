namespace FineTune.Synthesis.Tests;

public sealed class QualityTests
{
    [Theory]
    [InlineData("火灾探测器应该装在哪里？", "火灾探测器应该安装在哪里", true)]
    [InlineData("Where should I put a smoke detector at home?", "where should i put the smoke detectors at home", true)]
    [InlineData("火灾探测器应该装在哪里？", "火灾探测器多久检查一次？", false)]
    [InlineData("How far apart can smoke detectors be in a hallway?", "How often do I need to test my smoke alarm?", false)]
    public void Deduplicator_NearDuplicateQuestions_AreCaughtAndDifferentOnesKept(string first, string second, bool duplicate)
    {
        var dedup = new QuestionDeduplicator(0.7);

        Assert.False(dedup.IsDuplicateOrAdd(first));
        Assert.Equal(duplicate, dedup.IsDuplicateOrAdd(second));
    }

    [Fact]
    public void Grounding_AnswerRestatingTheSource_ScoresHighAndInventedOneLow()
    {
        const string source = "火灾探测器的安装间距不应超过十五米。Smoke detectors shall be installed on the ceiling of every bedroom.";

        var faithful = GroundingScorer.Score("探测器之间的安装间距不能超过十五米，要装在卧室的 ceiling 上。", source);
        var invented = GroundingScorer.Score("香蕉是一种富含钾的热带水果，Bananas are yellow.", source);

        Assert.True(faithful >= 0.5, $"faithful {faithful}");
        Assert.True(invented < 0.2, $"invented {invented}");
    }

    [Fact]
    public void Prompt_Default_RendersCountTriggerAndContentAndListsAskedQuestions()
    {
        var prompt = PromptTemplate.Default(SynthesisLanguage.Zh).Render("你是\"消防\"专家", 10, "正文内容", ["旧问题一？"]);

        Assert.Contains("列出 10 个", prompt);
        Assert.Contains("{\"system\": \"你是\\\"消防\\\"专家\"", prompt);
        Assert.Contains("内容：\n正文内容", prompt);
        Assert.Contains("- 旧问题一？", prompt);
        Assert.Contains("list 5 everyday questions", PromptTemplate.Default(SynthesisLanguage.En).Render("S", 5, "x"));
    }

    [Fact]
    public void Prompt_CustomWithoutContentPlaceholder_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => PromptTemplate.Custom("Write {{count}} questions.", SynthesisLanguage.En));
    }
}
