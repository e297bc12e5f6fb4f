using FineTune.Models.Tokenization;

namespace FineTune.Models.Tests.Tokenization;

public class UnicodeNfcTests
{
    [Theory]
    [InlineData("e\u0301", "\u00e9")]
    [InlineData("A\u030a", "\u00c5")]
    [InlineData("\u212b", "\u00c5")]                 // Angstrom sign: singleton decomposition
    [InlineData("o\u0308\u0304", "\u022b")]          // ö + macron composes twice
    [InlineData("a\u0323\u0302", "\u1ead")]          // ậ -> ậ (reordering by combining class)
    [InlineData("a\u0302\u0323", "\u1ead")]
    [InlineData("\u1100\u1161\u11a8", "\uac01")]     // Hangul L V T -> 각
    [InlineData("\uac00\u11a8", "\uac01")]           // LV + T
    [InlineData("\u0958", "\u0915\u093c")]           // composition exclusion stays decomposed
    [InlineData("\u0301abc", "\u0301abc")]           // leading combining mark
    [InlineData("plain ASCII and 中文", "plain ASCII and 中文")]
    public void Normalize_KnownCases(string input, string expected)
    {
        Assert.Equal(expected, UnicodeNfc.Normalize(input));
    }

    [Fact]
    public void Normalize_AlreadyNfc_ReturnsSameInstance()
    {
        var s = "Café 日本語 😀";
        Assert.Same(s, UnicodeNfc.Normalize(s));
    }
}
