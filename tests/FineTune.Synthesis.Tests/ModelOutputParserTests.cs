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
        Assert.Equal([1, 2, 3], result.Unusable.Select(u => u.Line));
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

    // A broken line costs that line alone: the tests below are the measured failure (10 good lines + 1 broken kept
    // 1 pair) and the three shapes a reply comes in (JSONL, fenced, pretty-printed), with broken lines at the start,
    // in the middle and at the end.

    /// <summary>The broken line the issue measured: a messages object cut inside a string, no closing quote or brace.</summary>
    private const string BrokenMessagesLine = "{\"messages\": [{\"role\": \"user\", \"content\": \"broken";

    private static (string Q, string A)[] Numbered(int count, string prefix = "Q") =>
        Enumerable.Range(1, count).Select(i => ($"{prefix}{i}: how is rule {i} applied?", $"Rule {i} is applied as written.")).ToArray();

    [Fact]
    public void Parse_TenGoodLinesAndOneBrokenLineAfterTheFirst_KeepsTheTenAndCountsOneLine()
    {
        var good = Numbered(10).Select(p => Replies.Line(S, p.Q, p.A)).ToList();
        var output = string.Join("\n", [good[0], BrokenMessagesLine, .. good.Skip(1)]);

        var result = ModelOutputParser.Parse(output);

        Assert.Equal(Numbered(10).Select(p => p.Q), result.Pairs.Select(p => p.Question));
        Assert.Equal(11, result.Candidates);
        Assert.Equal(new Dictionary<string, int> { [DropReasons.InvalidJson] = 1 }, result.Dropped);
        Assert.Equal([new ModelOutputParser.Unusable(2, DropReasons.InvalidJson)], result.Unusable);
    }

    [Fact]
    public void Parse_BrokenLineAsFirstOrLastOfJsonl_CostsThatLineAlone()
    {
        var good = Numbered(3).Select(p => Replies.Line(S, p.Q, p.A)).ToList();

        var first = ModelOutputParser.Parse(string.Join("\n", [BrokenMessagesLine, .. good]));
        var last = ModelOutputParser.Parse(string.Join("\n", [.. good, BrokenMessagesLine]));

        Assert.Equal(3, first.Pairs.Count);
        Assert.Equal(new Dictionary<string, int> { [DropReasons.InvalidJson] = 1 }, first.Dropped);
        Assert.Equal(3, last.Pairs.Count);
        Assert.Equal(new Dictionary<string, int> { [DropReasons.Truncated] = 1 }, last.Dropped); // the reply ends inside it
    }

    [Fact]
    public void Parse_BrokenLineInsideFencedBlock_CostsThatLineAlone()
    {
        var output = "Here are the pairs:\n```json\n" +
                     Replies.Line(S, "Q1?", "A1.") + "\n" +
                     "{\"system\": \"S\", \"user\": \"Q2?\", \"assistant\": \"A2 is cut here\n" +
                     Replies.Line(S, "Q3?", "A3.") + "\n" +
                     "{\"system\": \"S\", \"user\": \"Q4?\", \"assistant\": \"the line ends before the fence\n" +
                     "```\nThat is all.";

        var result = ModelOutputParser.Parse(output);

        Assert.Equal(["Q1?", "Q3?"], result.Pairs.Select(p => p.Question));
        Assert.Equal(4, result.Candidates);
        Assert.Equal([4, 6], result.Unusable.Select(u => u.Line));
        Assert.Equal(new Dictionary<string, int> { [DropReasons.InvalidJson] = 2 }, result.Dropped); // the fence closes: not cut off
    }

    [Fact]
    public void Parse_PrettyPrintedObjectAfterBrokenLine_IsRead()
    {
        var output = BrokenMessagesLine + "\n" +
                     "{\n  \"system\": \"S\",\n  \"user\": \"Pretty?\",\n  \"assistant\": \"Yes, pretty.\"\n}\n" +
                     "{\"user\": \"q\", \"assistant\": \"no closing brace\"\n" +
                     "{\n  \"messages\": [\n    {\"role\": \"user\", \"content\": \"Nested?\"},\n    {\"role\": \"assistant\", \"content\": \"Yes, nested.\"}\n  ]\n}";

        var result = ModelOutputParser.Parse(output);

        Assert.Equal([new QaPair("Pretty?", "Yes, pretty."), new QaPair("Nested?", "Yes, nested.")], result.Pairs);
        Assert.Equal(4, result.Candidates);
        Assert.Equal(new Dictionary<string, int> { [DropReasons.InvalidJson] = 2 }, result.Dropped);
    }

    [Fact]
    public void Parse_MixedShapesWithBrokenLinesAtStartMiddleAndEnd_KeepsEveryGoodPairAndCountsEveryBrokenLine()
    {
        var output = string.Join("\n",
            BrokenMessagesLine,                                                                      // start: cut string
            Replies.Line(S, "Q1 with {braces} and \"quotes\"?", "A1 has a } and a \\ too."),
            "Sure, more below:",
            "```json",
            Replies.Line(S, "Q2?", "A2."),
            "{\"system\": \"S\", \"user\": \"Q? broken in the fence\", \"assistant\": \"no end",      // middle: cut string
            Replies.Line(S, "Q3?", "A3."),
            "```",
            "{",
            "  \"system\": \"S\",",
            "  \"user\": \"Q4 {pretty}?\",",
            "  \"assistant\": \"A4 with an escaped \\\" quote.\"",
            "}",
            "{\"system\": \"S\", \"user\": \"missing brace\", \"assistant\": \"x\"",                 // middle: unclosed object
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Q5?\"}, {\"role\": \"assistant\", \"content\": \"A5.\"}]}",
            "{",
            "  \"messages\": [",
            "    {\"role\": \"system\", \"content\": \"S\"},",
            "    {\"role\": \"user\", \"content\": \"Q6?\"},",
            "    {\"role\": \"assistant\", \"content\": \"A6.\"}",
            "  ]",
            "}",
            "{\"system\": \"S\", \"user\": \"Q7?\", \"assistant\": \"cut at the e");                  // end: max_tokens

        var result = ModelOutputParser.Parse(output);

        Assert.Equal(
        [
            new QaPair("Q1 with {braces} and \"quotes\"?", "A1 has a } and a \\ too."), new QaPair("Q2?", "A2."), new QaPair("Q3?", "A3."),
            new QaPair("Q4 {pretty}?", "A4 with an escaped \" quote."), new QaPair("Q5?", "A5."), new QaPair("Q6?", "A6."),
        ], result.Pairs);
        Assert.Equal(10, result.Candidates);
        Assert.Equal(new Dictionary<string, int> { [DropReasons.InvalidJson] = 3, [DropReasons.Truncated] = 1 }, result.Dropped);
        Assert.Equal([1, 6, 14, 23], result.Unusable.Select(u => u.Line));
    }

    [Fact]
    public void Parse_BrokenPrettyPrintedObject_CountsOnceAndItsNestedLinesAreNotCandidates()
    {
        var output = string.Join("\n",
            "{",
            "  \"messages\": [",
            "    {\"role\": \"user\", \"content\": \"Q1?\"},",
            "    {\"role\": \"assistant\", \"content\": \"cut in the middle",
            "  ]",
            "}",
            Replies.Line(S, "Q2?", "A2."),
            "{",
            "  \"messages\": [",
            "    {\"role\": \"user\", \"content\": \"Q3?\"},",
            "    {\"role\": \"assistant\", \"content\": \"cut at the end");

        var result = ModelOutputParser.Parse(output);

        Assert.Equal(["Q2?"], result.Pairs.Select(p => p.Question));
        Assert.Equal(3, result.Candidates);
        Assert.Equal([new ModelOutputParser.Unusable(1, DropReasons.InvalidJson), new ModelOutputParser.Unusable(8, DropReasons.Truncated)], result.Unusable);
    }

    [Fact]
    public void Parse_BrokenItemOfAJsonArray_CostsThatItemAlone()
    {
        var output = "[\n  " + Replies.Line(S, "Q1?", "A1.") + ",\n  " + BrokenMessagesLine + "\n  " + Replies.Line(S, "Q2?", "A2.") + "\n]";

        var result = ModelOutputParser.Parse(output);

        Assert.Equal(["Q1?", "Q2?"], result.Pairs.Select(p => p.Question));
        Assert.Equal(new Dictionary<string, int> { [DropReasons.InvalidJson] = 1 }, result.Dropped);
    }

    [Fact]
    public void Parse_LineCutInsideAKey_DoesNotHideTheNextLine()
    {
        // Read across lines, the cut key and the next line happen to form valid JSON (the first pair plus a long key).
        var output = "{\"system\": \"S\", \"user\": \"Q1?\", \"assistant\": \"A1.\", \"no\n" + Replies.Line(S, "Q2?", "A2.");

        var result = ModelOutputParser.Parse(output);

        Assert.Equal(["Q2?"], result.Pairs.Select(p => p.Question));
        Assert.Equal(new Dictionary<string, int> { [DropReasons.InvalidJson] = 1 }, result.Dropped);
    }

    [Fact]
    public void Parse_ValidPrettyPrintedObjectWithBracesAndRawNewlinesInStrings_IsOneObject()
    {
        var output = "{\n  \"user\": \"What does {\\\"a\\\": 1} mean?\",\n  \"assistant\": \"First line }\nsecond line {\"\n}\n" + Replies.Line(S, "Q2?", "A2.");

        var result = ModelOutputParser.Parse(output);

        Assert.Equal([new QaPair("What does {\"a\": 1} mean?", "First line }\nsecond line {"), new QaPair("Q2?", "A2.")], result.Pairs);
        Assert.Equal(2, result.Candidates);
        Assert.Empty(result.Dropped);
    }

    [Fact]
    public void Parse_RandomRepliesWithLinesCutAnywhere_KeepEveryGoodPairAndCountEveryCutLine()
    {
        var random = new Random(20240611);
        for (var reply = 0; reply < 300; reply++)
        {
            var lines = new List<string>();
            var expected = new List<string>();
            var broken = new List<string>(); // the reason each cut line is dropped for, in order
            var fenced = false;
            string? cut = null;
            var count = random.Next(1, 12);
            for (var item = 0; item < count; item++)
            {
                if (random.Next(4) == 0) // a fence opens or closes, with prose
                {
                    lines.Add(fenced ? "```\nMore:" : "Here:\n```json");
                    fenced = !fenced;
                }
                var question = $"Q{reply}.{item} {{x}} \"y\"?";
                var line = Replies.Line(S, question, $"A{reply}.{item} }} \\ done.");
                switch (random.Next(4))
                {
                    case 0: // cut anywhere after the opening quote, before the closing brace
                        cut = line[..random.Next(2, line.Length - 1)];
                        lines.Add(cut);
                        broken.Add(DropReasons.InvalidJson);
                        break;
                    case 1: // pretty-printed
                        lines.Add("{\n  " + line[1..^1].Replace("\",\"", "\",\n  \"") + "\n}");
                        expected.Add(question);
                        break;
                    default:
                        lines.Add(line);
                        expected.Add(question);
                        break;
                }
            }
            if (lines[^1] == cut)
                broken[^1] = DropReasons.Truncated; // the reply ends inside it
            var output = string.Join("\n", lines);

            var result = ModelOutputParser.Parse(output);

            Assert.True(expected.SequenceEqual(result.Pairs.Select(p => p.Question)), output);
            Assert.True(broken.SequenceEqual(result.Unusable.Select(u => u.Reason)), output);
            Assert.Equal(result.Pairs.Count + result.Unusable.Count, result.Candidates);
        }
    }

    [Fact]
    public void Parse_UnclosedBraceInProse_IsNotACandidateAndHidesNothing()
    {
        var output = "Each pair is written as { followed by the fields:\n" + Replies.Lines(S, ("Q1?", "A1."), ("Q2?", "A2."));

        var result = ModelOutputParser.Parse(output);

        Assert.Equal(["Q1?", "Q2?"], result.Pairs.Select(p => p.Question));
        Assert.Equal(2, result.Candidates);
        Assert.Empty(result.Unusable);
    }

    [Fact]
    public void PairRules_WhitespaceOnlyAnswer_IsDroppedByTheDataRules()
    {
        Assert.Equal("rule:empty_content", PairRules.Check(S, new QaPair("Q?", "")));
        Assert.Equal("rule:empty_content", PairRules.Check(S, new QaPair("", "A.")));
        Assert.Null(PairRules.Check(S, new QaPair("Q?", "A.")));
    }
}
