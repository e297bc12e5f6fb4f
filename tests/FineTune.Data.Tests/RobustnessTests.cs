using System.Text;
using FineTune.Data;

namespace FineTune.Data.Tests;

public class RobustnessTests
{
    private static readonly ValidationOptions Lenient = new() { Mode = ValidationMode.Lenient };

    [Fact]
    public async Task Validate_Utf8Bom_IsSkipped()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(TestData.GoodLines(10))).ToArray();
        var report = await TestData.ValidateAsync(bytes);
        Assert.True(report.Usable);
        Assert.Equal(10, report.ValidExamples);
    }

    [Fact]
    public async Task Validate_CrlfLineEndings_ReadLikeLf()
    {
        var report = await TestData.ValidateAsync(TestData.GoodLines(10).Replace("\n", "\r\n"));
        Assert.Equal((10L, 10L, 0L), (report.Lines, report.ValidExamples, report.Errors));
    }

    [Fact]
    public async Task Validate_BlankLines_SkippedCountedAndLineNumbersKept()
    {
        var text = TestData.GoodLine(0) + "\n\n   \n" + """{"messages":[{"role":"user","content":"x"}]}""" + "\n\t\n";
        var report = await TestData.ValidateAsync(text, Lenient);
        Assert.Equal((5L, 3L, 1L), (report.Lines, report.BlankLines, report.ValidExamples));
        Assert.Equal(4, report.Single("no_pair").Line);
    }

    [Fact]
    public async Task Validate_TrailingWhitespace_Ignored()
    {
        var report = await TestData.ValidateAsync(TestData.GoodLine(0) + " \t  \n" + TestData.GoodLine(1) + "  \r\n");
        Assert.Equal((2L, 0L), (report.ValidExamples, report.Errors));
    }

    [Fact]
    public async Task Validate_FinalLineWithoutNewline_ReadAndCounted()
    {
        var (report, kept) = await TestData.ValidateKeepingAsync(TestData.GoodLines(2) + TestData.GoodLine(7));
        Assert.Equal((3L, 3L), (report.Lines, report.ValidExamples));
        Assert.EndsWith("Answer 7.\"}]}\n", kept);
    }

    [Fact]
    public async Task Validate_CrlfBlankLinesTrailingWhitespaceNoFinalNewline_Together()
    {
        var text = TestData.GoodLine(0) + "\r\n\r\n" + TestData.GoodLine(1) + "   \t\r\n" + "\n" +
                   """{"messages":[{"role":"user","content":"x"}]}""" + "\r\n" + TestData.GoodLine(2);
        var report = await TestData.ValidateAsync(text, Lenient);
        Assert.Equal((6L, 2L, 3L), (report.Lines, report.BlankLines, report.ValidExamples));
        Assert.Equal(5, report.Single("no_pair").Line);
    }

    [Fact]
    public async Task Validate_InvalidUtf8_ReportedAtItsLineAndByte()
    {
        var bytes = Encoding.UTF8.GetBytes(TestData.GoodLines(2) + """{"messages":[{"role":"user","content":"caf""")
            .Concat(new byte[] { 0xC3, 0x28 })
            .Concat(Encoding.UTF8.GetBytes("\"},{\"role\":\"assistant\",\"content\":\"ok\"}]}\n" + TestData.GoodLine(9)))
            .ToArray();
        var report = await TestData.ValidateAsync(bytes, Lenient);
        var problem = report.Single("invalid_utf8");
        Assert.Equal(3, problem.Line);
        Assert.Equal("invalid UTF-8 at byte 43 of the line (save the file as UTF-8)", problem.Message);
        Assert.Equal(3, report.ValidExamples);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"meta":{"note":"X"}}""")]
    [InlineData("""{"messages":[{"role":"user","content":"q","name":["X"]},{"role":"assistant","content":"a"}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"X":1}""")]
    [InlineData("""{"messages":[{"role":"X","content":"q"},{"role":"assistant","content":"a"}]}""")]
    public async Task Validate_InvalidUtf8AnywhereInTheLine_InvalidUtf8(string template)
    {
        var parts = template.Split('X');
        var bytes = Encoding.UTF8.GetBytes(parts[0]).Concat(new byte[] { 0xFF, 0xFE }).Concat(Encoding.UTF8.GetBytes(parts[1] + "\n")).ToArray();
        var report = await TestData.ValidateAsync(bytes, Lenient);
        Assert.Equal(1, report.Single("invalid_utf8").Line);
        Assert.Equal(0, report.ValidExamples);
    }

    [Fact]
    public async Task Validate_NulByte_ReportedNotCrashing()
    {
        var report = await TestData.ValidateAsync(TestData.GoodLine(0) + "\n{\"messages\":\0[]}\n", Lenient);
        Assert.Equal(2, report.Single("nul_byte").Line);
    }

    [Fact]
    public async Task Validate_HundredMegabyteLine_ReportedAsTooLongAndNextLineStillRead()
    {
        var head = Encoding.UTF8.GetBytes(TestData.GoodLine(0) + "\n");
        var tail = Encoding.UTF8.GetBytes("\n" + TestData.GoodLine(1) + "\n{bad\n");
        var prefix = """{"messages":[{"role":"user","content":"""u8.ToArray();
        using var stream = new PatternStream(head, prefix, (byte)'a', 100_000_000, tail);
        var report = await DatasetValidator.ValidateAsync(stream, Lenient);
        var problem = report.Single("line_too_long");
        Assert.Equal(2, problem.Line);
        Assert.Contains("100,000,0", problem.Message);
        Assert.Equal(4, report.Single("invalid_json").Line);
        Assert.Equal(2, report.ValidExamples);
        Assert.Equal(4, report.Lines);
        Assert.Equal(100_000_000 + head.Length + prefix.Length + tail.Length, report.Bytes);
    }

    [Fact]
    public async Task Validate_TooLongFinalLineWithoutNewline_CountedAndReported()
    {
        using var stream = new PatternStream(Encoding.UTF8.GetBytes(TestData.GoodLine(0) + "\n"), "{\"x\":\""u8.ToArray(), (byte)'b', 3_000_000, []);
        var report = await DatasetValidator.ValidateAsync(stream, new ValidationOptions { MaxLineBytes = 1_000_000, Mode = ValidationMode.Lenient });
        Assert.Equal((2L, 2L), (report.Single("line_too_long").Line, report.Lines));
        Assert.Equal(1, report.ValidExamples);
    }

    [Fact]
    public async Task Validate_LongLineUnderRaisedLimit_ParsedAndFlaggedTooLong()
    {
        var content = new string('x', 5_000_000);
        var text = $$"""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"{{content}}"}]}""";
        var report = await TestData.ValidateAsync(text, new ValidationOptions { MaxLineBytes = 8_000_000, Mode = ValidationMode.Lenient });
        Assert.Equal(1, report.ValidExamples);
        Assert.Equal(1, report.CountsByCode["too_long"]);
        Assert.True(report.Statistics.Tokens.Max > 1_000_000);
    }

    [Fact]
    public async Task Validate_DeeplyNestedJson_InvalidJsonNotStackOverflow()
    {
        var deep = "{\"messages\":" + new string('[', 100_000) + new string(']', 100_000) + "}";
        var report = await TestData.ValidateAsync(deep + "\n" + TestData.GoodLine(1), Lenient);
        var problem = report.Single("invalid_json");
        Assert.Equal(1, problem.Line);
        Assert.Contains("depth", problem.Message);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":42},{"role":"assistant","content":"a"}]}""", "content_not_string", "messages[0].content")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","content":"a"}]}""", "content_not_string", "messages[0].content")]
    [InlineData("""{"messages":[{"role":1,"content":"q"},{"role":"assistant","content":"a"}]}""", "role_not_string", "messages[0].role")]
    [InlineData("""{"messages":{"role":"user","content":"q"}}""", "messages_not_array", "messages")]
    [InlineData("""{"messages":["hi", {"role":"assistant","content":"a"}]}""", "message_not_object", "messages[0]")]
    [InlineData("""{"messages":[{"content":"q"},{"role":"assistant","content":"a"}]}""", "missing_role", "messages[0].role")]
    [InlineData("""{"messages":[{"role":"user"},{"role":"assistant","content":"a"}]}""", "missing_content", "messages[0].content")]
    [InlineData("""{"messages":[]}""", "empty_messages", "messages")]
    [InlineData("""{"prompt":"q","completion":"a"}""", "missing_messages", "messages")]
    [InlineData("""[1,2,3]""", "not_object", "")]
    [InlineData("42", "not_object", "")]
    [InlineData("""{"messages":[{"role":"user","content":"q"}],"messages":[]}""", "duplicate_key", "messages")]
    [InlineData("""{"messages":[{"role":"user","role":"assistant","content":"q"},{"role":"assistant","content":"a"}]}""", "duplicate_key", "messages[0].role")]
    [InlineData("""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]} {}""", "invalid_json", "")]
    [InlineData("""{"messages":[{"role":"user","content":"\ud800"},{"role":"assistant","content":"a"}]}""", "invalid_json", "")]
    public async Task Validate_WrongShape_StableCodeAndPath(string line, string code, string path)
    {
        var report = await TestData.ValidateAsync(TestData.GoodLine(0) + "\n" + line + "\n", Lenient);
        var problem = report.Single(code);
        Assert.Equal((2L, path, Severity.Error), (problem.Line, problem.Path, problem.Severity));
        Assert.Equal(1, report.ValidExamples);
        Assert.Equal(2L, Assert.Single(report.Dropped).Line);
    }

    [Fact]
    public async Task Validate_UnknownKeys_WarningsKeepTheExample()
    {
        var report = await TestData.ValidateAsync(
            """{"messages":[{"role":"user","content":"q","name":"bob"},{"role":"assistant","content":"a"}],"tools":[]}""");
        Assert.Equal(1, report.ValidExamples);
        Assert.Equal(["messages[0].name", "tools"], report.Problems.Where(p => p.Code == "unknown_key").Select(p => p.Path).Order(StringComparer.Ordinal).ToArray());
        Assert.All(report.Problems.Where(p => p.Code == "unknown_key"), p => Assert.Equal(Severity.Warning, p.Severity));
    }

    [Fact]
    public async Task Validate_JsonArrayWithChatFormat_NotJsonl()
    {
        var report = await TestData.ValidateAsync("[" + TestData.GoodLine(0) + "]", new ValidationOptions { Format = DataFormat.Chat });
        Assert.False(report.Usable);
        Assert.Equal(["not_jsonl"], report.Codes());
    }

    [Fact]
    public async Task Validate_JsonArrayOfChatInAutoMode_ReadWithElementLines()
    {
        var text = "[\n  " + TestData.GoodLine(0) + ",\n  " + """{"messages":[{"role":"user","content":"q"}]}""" + ",\n  " + TestData.GoodLine(2) + "\n]\n";
        var report = await TestData.ValidateAsync(text, Lenient);
        Assert.Equal("json_array", report.Layout);
        Assert.Equal(2, report.ValidExamples);
        Assert.Equal(5, report.Lines);
        Assert.Equal(3, report.Single("no_pair").Line);
    }

    [Fact]
    public async Task Validate_TruncatedJsonArray_InvalidJsonWithLineAndNotUsable()
    {
        var text = "[\n" + TestData.GoodLine(0) + ",\n" + TestData.GoodLine(1) + ",\n{\"messages\": [";
        var report = await TestData.ValidateAsync(text, Lenient);
        Assert.False(report.Usable);
        Assert.Equal(2, report.ValidExamples);
        Assert.Contains("rest of the file", report.Single("invalid_json").Message);
    }

    [Fact]
    public async Task Validate_ContentAfterArray_InvalidJson()
    {
        var report = await TestData.ValidateAsync("[" + TestData.GoodLine(0) + "]\n" + TestData.GoodLine(1), Lenient);
        Assert.Equal(2, report.Single("invalid_json").Line);
    }

    [Fact]
    public async Task Validate_JsonlWrappedInBrackets_InvalidJsonAtTheSecondLineNotUsable()
    {
        var text = "[\n" + TestData.GoodLine(0) + "\n" + TestData.GoodLine(1) + "\n]\n";
        var report = await TestData.ValidateAsync(text, Lenient);
        var problem = report.Single("invalid_json");
        Assert.Equal(3, problem.Line);                     // the missing comma before line 3
        Assert.Equal(1, report.ValidExamples);
        Assert.False(report.Usable);
    }

    [Fact]
    public async Task Validate_PrettyPrintedObject_InvalidJsonWithHint()
    {
        var report = await TestData.ValidateAsync("{\n  \"messages\": []\n}\n", Lenient);
        Assert.Contains("one line", report.Problems.First(p => p.Code == "invalid_json").Message);
        Assert.Equal(1, report.Problems[0].Line);
    }

    [Fact]
    public async Task Validate_EmptyFile_EmptyFileNotUsable()
    {
        var report = await TestData.ValidateAsync("");
        Assert.False(report.Usable);
        Assert.Equal(["empty_file"], report.Codes());
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", report.Sha256);
    }

    [Fact]
    public async Task Validate_OnlyBlankLines_EmptyFile()
    {
        var report = await TestData.ValidateAsync("\n \r\n\t\n");
        Assert.Equal(["empty_file"], report.Codes());
        Assert.Equal(3, report.BlankLines);
    }

    [Fact]
    public async Task Validate_PdfRenamedToJsonl_OneBinaryFileError()
    {
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
            .Concat(Enumerable.Range(0, 50_000).Select(i => (byte)(i * 7919 % 256))).ToArray();
        var report = await TestData.ValidateAsync(pdf);
        Assert.False(report.Usable);
        var problem = Assert.Single(report.Problems);
        Assert.Equal("binary_file", problem.Code);
        Assert.Contains("PDF", problem.Message);
        Assert.Equal(pdf.Length, report.Bytes);
    }

    [Fact]
    public async Task Validate_RandomBinary_BinaryFile()
    {
        var bytes = new byte[10_000];
        new Random(3).NextBytes(bytes);
        bytes[0] = (byte)'{';
        var report = await TestData.ValidateAsync(bytes);
        Assert.Equal(["binary_file"], report.Codes());
    }

    [Fact]
    public async Task Validate_Utf16File_UnsupportedEncoding()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(TestData.GoodLines(3))).ToArray();
        var report = await TestData.ValidateAsync(bytes);
        Assert.Equal(["unsupported_encoding"], report.Codes());
    }

    [Fact]
    public async Task Validate_RandomMutations_NeverThrowAndEveryDroppedLineHasAnError()
    {
        var random = new Random(12345);
        var good = Encoding.UTF8.GetBytes(TestData.GoodLines(20) + "[" + TestData.GoodLine(5) + "]\n");
        for (var round = 0; round < 300; round++)
        {
            var bytes = (byte[])good.Clone();
            for (var k = random.Next(1, 12); k > 0; k--)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            if (round % 3 == 0) bytes = bytes[..random.Next(bytes.Length)];
            var kept = new MemoryStream();
            var report = await DatasetValidator.ValidateAsync(new MemoryStream(bytes), Lenient, kept);
            Assert.Equal(report.Records, report.ValidExamples + report.DroppedExamples);
            Assert.Equal(report.DroppedExamples, report.Dropped.Count);
            var keptLines = Encoding.UTF8.GetString(kept.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(report.ValidExamples, keptLines.Length);
            foreach (var line in keptLines) ChatJsonl.Parse(line);   // kept output is always valid chat
        }
    }
}
