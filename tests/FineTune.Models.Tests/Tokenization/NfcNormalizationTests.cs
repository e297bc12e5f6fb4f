using System.Text.Json;
using FineTune.Models.Checkpoints;
using FineTune.Models.Tokenization;

namespace FineTune.Models.Tests.Tokenization;

/// <summary>tokenizer.json's NFC normalizer, done by .NET with ICU: decomposed text tokenizes as its composed form.</summary>
public class NfcNormalizationTests
{
    [Theory]
    [InlineData("e\u0301", "\u00e9")]
    [InlineData("\u212b", "\u00c5")]                 // Angstrom sign: singleton decomposition
    [InlineData("a\u0302\u0323", "\u1ead")]          // reordered by combining class, then composed
    [InlineData("\u1100\u1161\u11a8", "\uac01")]     // Hangul L V T -> 각
    [InlineData("\u0958", "\u0915\u093c")]           // composition exclusion stays decomposed
    [InlineData("plain ASCII and 中文", "plain ASCII and 中文")]
    public void NfcNormalizer_KnownCases(string input, string expected)
    {
        using var json = JsonDocument.Parse("""{"type": "NFC"}""");
        Assert.Equal(expected, TextNormalizer.FromJson(json.RootElement)!.Normalize(input));
    }

    [Fact]
    public void Encode_DecomposedAccent_SameIdsAsComposed_AndDecodesComposed()
    {
        var qwen = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Qwen2);   // its tokenizer.json has normalizer NFC
        var decomposed = qwen.Encode("caf" + "e\u0301");
        Assert.Equal(qwen.Encode("caf\u00e9"), decomposed);
        Assert.Equal("caf\u00e9", qwen.Decode(decomposed));
        Assert.Equal("\u00e9", qwen.Decode(qwen.Encode("e\u0301")));

        var llama = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Llama);  // no normalizer: the text stays as written
        Assert.Equal("e\u0301", llama.Decode(llama.Encode("e\u0301")));
    }
}
