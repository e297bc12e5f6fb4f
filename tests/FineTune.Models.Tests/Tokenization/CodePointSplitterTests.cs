using System.Text;
using System.Text.RegularExpressions;
using FineTune.Models.Tokenization;

namespace FineTune.Models.Tests.Tokenization;

/// <summary>The hand-written splitter must cut exactly where the regex it replaces cuts (on BMP text, where .NET's
/// UTF-16 regex and a code-point regex agree).</summary>
public class CodePointSplitterTests
{
    private const string Alphabet = "aZé日本ß12٣ \t\n\r\u00a0\u3000'sStTmMdDrReEvVlL.,!?-()[]{}<>\"#$%&*+/:;=@\\^_`|~…—";

    [Theory]
    [InlineData(CodePointSplitter.QwenPattern)]
    [InlineData(CodePointSplitter.Llama3Pattern)]
    public void Split_RandomText_MatchesDotNetRegex(string pattern)
    {
        var splitter = CodePointSplitter.ForPattern(pattern)!;
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);
        var random = new Random(7);
        var runes = Alphabet.EnumerateRunes().Select(r => r.ToString()).ToArray();
        for (int trial = 0; trial < 3000; trial++)
        {
            var sb = new StringBuilder();
            int length = random.Next(1, 24);
            for (int i = 0; i < length; i++) sb.Append(runes[random.Next(runes.Length)]);
            var text = sb.ToString();
            var expected = Reference(regex, text);
            var words = new List<(int Start, int Length)>();
            splitter.Split(text, words);
            var actual = words.Select(w => text.Substring(w.Start, w.Length)).ToList();
            Assert.True(expected.SequenceEqual(actual),
                $"text {System.Text.Json.JsonSerializer.Serialize(text)}: regex [{string.Join("|", expected)}] splitter [{string.Join("|", actual)}]");
        }
    }

    [Fact]
    public void Split_AstralLetters_StayInTheirWord()
    {
        var words = new List<(int Start, int Length)>();
        var text = "a\U00020BB7b 𝐀𝐁";
        new CodePointSplitter(1).Split(text, words);
        Assert.Equal(["a\U00020BB7b", " 𝐀𝐁"], words.Select(w => text.Substring(w.Start, w.Length)));
    }

    private static List<string> Reference(Regex regex, string text)
    {
        var result = new List<string>();
        int previous = 0;
        foreach (Match m in regex.Matches(text))
        {
            if (m.Index > previous) result.Add(text[previous..m.Index]);
            result.Add(m.Value);
            previous = m.Index + m.Length;
        }
        if (previous < text.Length) result.Add(text[previous..]);
        return result;
    }
}
