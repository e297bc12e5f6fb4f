using FineTune.Synthesis.Tests.Support;

namespace FineTune.Synthesis.Tests;

public sealed class ModelOutputParserTests
{
    private const string S = "你是消防系统专家";

    [Fact]
    public void Parse_OneObjectPerLine_ReadsEveryPair()
    {
        var output = Replies.Lines(S, ("灭火器多久检查一次？", "每月检查一次。"), ("烟感装在哪？", "装在顶棚上。"));

        var result = ModelOutputParser.Parse(output);

        Assert.Equal([new QaPair("灭火器多久检查一次？", "每月检查一次。"), new QaPair("烟感装在哪？", "装在顶棚上。")], result.Pairs);
        Assert.Equal(2, result.Candidates);
        Assert.Empty(result.Dropped);
    }

    [Fact]
    public void Parse_CodeFenceWithProseBeforeAndAfter_ReadsThePairsOnly()
    {
        var output = "好的，以下是根据内容生成的问题（共 {2} 个）：\n```json\n" +
                     Replies.Lines(S, ("Q1?", "A1."), ("Q2?", "A2.")) +
                     "\n```\n希望对你有帮助！";

        var result = ModelOutputParser.Parse(output);

        Assert.Equal(["Q1?", "Q2?"], result.Pairs.Select(p => p.Question));
        Assert.Equal(2, result.Candidates); // "{2}" in prose has no quote: not a candidate
    }

    [Fact]
    public void Parse_ObjectSplitAcrossLinesWithTrailingCommas_IsRead()
    {
        var output = "{\n  \"system\": \"S\",\n  \"user\": \"How far apart?\",\n  \"assistant\": \"Fifteen meters.\",\n}\n" +
                     "[{\"system\":\"S\",\"user\":\"Second?\",\"assistant\":\"Yes.\"},]";

        var result = ModelOutputParser.Parse(output);

        Assert.Equal([new QaPair("How far apart?", "Fifteen meters."), new QaPair("Second?", "Yes.")], result.Pairs);
    }

    [Fact]
    public void Parse_RawNewlineAndUnescapedQuotesInsideStrings_AreRepaired()
    {
        var output = "{\"system\": \"S\", \"user\": \"标志上写的\"安全出口\"是什么意思？\", \"assistant\": \"第一行\n第二行\"}";

        var result = ModelOutputParser.Parse(output);

        Assert.Equal([new QaPair("标志上写的\"安全出口\"是什么意思？", "第一行\n第二行")], result.Pairs);
    }

    [Fact]
    public void Parse_TruncatedLastObject_IsCountedAsTruncated()
    {
        var output = Replies.Line(S, "Q1?", "A1.") + "\n{\"system\": \"S\", \"user\": \"Q2?\", \"assistant\": \"the answer was cut";

        var result = ModelOutputParser.Parse(output);

        Assert.Single(result.Pairs);
        Assert.Equal(2, result.Candidates);
        Assert.Equal(1, result.Dropped[DropReasons.Truncated]);
    }

    [Fact]
    public void Parse_BrokenObjects_AreCountedByReason()
    {
        var output = string.Join("\n",
            "{\"system\": \"S\", \"user\": \"q1\" \"assistant\": \"missing comma\"}",
            "{\"system\": \"S\", \"user\": \"q2\"}",
            "{\"system\": \"S\", \"user\": 42, \"assistant\": \"a\"}",
            Replies.Line(S, "good?", "good."));

        var result = ModelOutputParser.Parse(output);

        Assert.Equal(4, result.Candidates);
        Assert.Single(result.Pairs);
        Assert.Equal(1, result.Dropped[DropReasons.InvalidJson]);
        Assert.Equal(2, result.Dropped[DropReasons.MissingField]);
    }

    [Fact]
    public void Parse_MessagesShapeAndAliasKeys_AreAccepted()
    {
        var output = "{\"messages\":[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"Q?\"},{\"role\":\"assistant\",\"content\":\"A.\"}]}\n" +
                     "{\"question\": \"问题二？\", \"answer\": \"答案二。\"}\n" +
                     "{\"问题\": \"问题三？\", \"回答\": \"答案三。\"}";

        var result = ModelOutputParser.Parse(output);

        Assert.Equal(["Q?", "问题二？", "问题三？"], result.Pairs.Select(p => p.Question));
    }

    [Fact]
    public void Parse_NoObjectsAtAll_GivesNothing()
    {
        var result = ModelOutputParser.Parse("抱歉，我无法根据这段内容生成问题。");

        Assert.Empty(result.Pairs);
        Assert.Equal(0, result.Candidates);
    }

    [Fact]
    public void PairRules_WhitespaceOnlyAnswer_IsDroppedByTheDataRules()
    {
        Assert.Equal("rule:empty_content", PairRules.Check(S, new QaPair("Q?", "")));
        Assert.Equal("rule:empty_content", PairRules.Check(S, new QaPair("", "A.")));
        Assert.Null(PairRules.Check(S, new QaPair("Q?", "A.")));
    }
}
