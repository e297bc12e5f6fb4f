using System.Text;
using FineTune.Data;

namespace FineTune.Data.Tests;

public class FormatTests
{
    private static readonly ValidationOptions Lenient = new() { Mode = ValidationMode.Lenient };

    private static async Task<(ValidationReport Report, ChatExample[] Examples)> ReadAsync(string text, ValidationOptions? options = null)
    {
        var (report, kept) = await TestData.ValidateKeepingAsync(text, options ?? Lenient);
        var examples = kept.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => ChatJsonl.Parse(l)).ToArray();
        return (report, examples);
    }

    private static string Render(ChatExample e) => string.Join(" | ", e.Messages.Select(m => $"{m.Role}: {m.Content}"));

    [Fact]
    public async Task Alpaca_JsonArray_InstructionAndInputJoinedByNewlineWithSystemAndHistory()
    {
        var text = """
            [
              {"instruction": "Translate", "input": "bonjour", "output": "hello", "system": "You translate.",
               "history": [["Hi", "Hello!"], ["How are you?", "Fine."]]},
              {"instruction": "Say hi", "input": "", "output": "hi"}
            ]
            """;
        var (report, examples) = await ReadAsync(text);
        Assert.Equal((DataFormat.Alpaca, "json_array", 2L), (report.Format, report.Layout, report.ValidExamples));
        Assert.Equal("system: You translate. | user: Hi | assistant: Hello! | user: How are you? | assistant: Fine. | user: Translate\nbonjour | assistant: hello",
            Render(examples[0]));
        Assert.Equal("user: Say hi | assistant: hi", Render(examples[1]));
    }

    [Theory]
    [InlineData("""{"input":"x","output":"y"}""", "missing_field", "instruction")]
    [InlineData("""{"instruction":"x"}""", "missing_field", "output")]
    [InlineData("""{"instruction":"x","output":5}""", "field_not_string", "output")]
    [InlineData("""{"instruction":"x","output":"y","history":[["only one"]]}""", "invalid_history", "history[0]")]
    [InlineData("""{"instruction":"x","output":""}""", "empty_content", "output")]
    public async Task Alpaca_BadRecord_CodeAndPathInAlpacaTerms(string line, string code, string path)
    {
        var report = await TestData.ValidateAsync("""{"instruction":"a","output":"b"}""" + "\n" + line, new ValidationOptions { Format = DataFormat.Alpaca, Mode = ValidationMode.Lenient });
        var problem = report.Single(code);
        Assert.Equal((2L, path), (problem.Line, problem.Path));
    }

    [Fact]
    public async Task ShareGpt_ConversationsWithSystem_NormalizedToChat()
    {
        var text = """
            {"conversations":[{"from":"human","value":"Q1"},{"from":"gpt","value":"A1"},{"from":"human","value":"Q2"},{"from":"gpt","value":"A2"}],"system":"Sys"}
            {"conversations":[{"from":"system","value":"S"},{"from":"human","value":"Q"},{"from":"gpt","value":"A"}]}
            {"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"B"}]}
            """;
        var (report, examples) = await ReadAsync(text, new ValidationOptions { Format = DataFormat.ShareGpt });
        Assert.True(report.Usable);
        Assert.Equal("system: Sys | user: Q1 | assistant: A1 | user: Q2 | assistant: A2", Render(examples[0]));
        Assert.Equal("system: S | user: Q | assistant: A", Render(examples[1]));
        Assert.Equal("user: Q | assistant: B", Render(examples[2]));
    }

    [Fact]
    public async Task ShareGpt_ToolTurnsAndBadOrder_ReportedWithShareGptPaths()
    {
        var text = """
            {"conversations":[{"from":"human","value":"Q"},{"from":"function_call","value":"{}"},{"from":"gpt","value":"A"}]}
            {"conversations":[{"from":"gpt","value":"A"},{"from":"human","value":"Q"}]}
            {"conversations":[{"from":"human","value":7},{"from":"gpt"}]}
            {"dialog":[]}
            """;
        var report = await TestData.ValidateAsync(text, new ValidationOptions { Format = DataFormat.ShareGpt, Mode = ValidationMode.Lenient });
        Assert.Equal(("conversations[1].from", 1L), (report.Single("invalid_role").Path, report.Single("invalid_role").Line));
        Assert.Equal("conversations[0].from", report.Single("first_not_user").Path);
        Assert.Equal("conversations[0].value", report.Single("content_not_string").Path);
        Assert.Equal("conversations[1].value", report.Single("missing_content").Path);
        Assert.Equal(4, report.Single("missing_conversations").Line);
        Assert.Equal(0, report.ValidExamples);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}""", DataFormat.Chat)]
    [InlineData("""{"instruction":"q","output":"a"}""", DataFormat.Alpaca)]
    [InlineData("""{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"a"}]}""", DataFormat.ShareGpt)]
    public async Task Auto_DetectsFormatFromKeys(string line, DataFormat expected)
    {
        var report = await TestData.ValidateAsync(line + "\n");
        Assert.Equal(expected, report.Format);
        Assert.Equal(1, report.ValidExamples);
    }

    [Fact]
    public async Task Auto_InvalidFirstLine_DetectsFromTheNextOne()
    {
        var report = await TestData.ValidateAsync("{oops\n" + """{"instruction":"q","output":"a"}""" + "\n", Lenient);
        Assert.Equal(DataFormat.Alpaca, report.Format);
        Assert.Equal(1, report.ValidExamples);
    }

    [Fact]
    public async Task Chat_WithShareGptKeys_MissingMessagesSaysWhichFormat()
    {
        var report = await TestData.ValidateAsync("""{"conversations":[]}""", new ValidationOptions { Format = DataFormat.Chat });
        Assert.Contains("--format sharegpt", report.Single("missing_messages").Message);
    }

    [Theory]
    [InlineData(DataFormat.Alpaca)]
    [InlineData(DataFormat.ShareGpt)]
    [InlineData(DataFormat.Chat)]
    public async Task Convert_ChatToFormatAndBack_SameExamples(DataFormat format)
    {
        var source = new[]
        {
            ChatExample.Of(new("system", "Be terse."), new("user", "a \"quoted\"\nline"), new("assistant", "ok ✓")),
            ChatExample.Of(new("user", "q1"), new("assistant", "a1"), new("user", "q2"), new("assistant", "a2")),
        };
        var converted = new MemoryStream();
        var writer = BufferedExampleWriter.For(format, converted);
        foreach (var e in source) writer.Write(e, 0);
        await writer.FlushAsync(default);

        var (report, back) = await ReadAsync(Encoding.UTF8.GetString(converted.ToArray()), new ValidationOptions { Format = format });
        Assert.True(report.Usable, string.Join("; ", report.Problems));
        Assert.Equal(source.Select(Render), back.Select(Render));
    }

    [Fact]
    public void ChatJsonl_ToJsonLine_CompactReadableOneLine()
    {
        var line = ChatJsonl.ToJsonLine(ChatExample.Of(new("user", "héllo\n\"x\""), new("assistant", "<b>")));
        Assert.Equal("""{"messages":[{"role":"user","content":"héllo\n\"x\""},{"role":"assistant","content":"<b>"}]}""", line);
    }
}
