using System.Text;
using FineTune.Models.Checkpoints;
using FineTune.Models.Tokenization;

namespace FineTune.Models.Tests.Tokenization;

public class TokenizerBehaviourTests
{
    [Fact]
    public void StreamingDecoder_CharacterSplitAcrossTokens_IsHeldUntilComplete()
    {
        var tokenizer = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Qwen2);
        // "🦙" is 4 bytes none of which merge in the tiny vocabulary: 4 byte tokens
        var ids = tokenizer.Encode("x🦙y");
        var stream = tokenizer.CreateStreamingDecoder();
        var pieces = ids.Select(stream.Append).ToList();
        Assert.Equal("x", pieces[0]);
        Assert.Equal(["", "", ""], pieces.Skip(1).Take(3));
        Assert.Equal("🦙", pieces[4]);
        Assert.Equal("y", pieces[5]);
        Assert.Equal("", stream.Flush());
    }

    [Fact]
    public void StreamingDecoder_Flush_EmitsReplacementForUnfinishedSequence()
    {
        var tokenizer = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Qwen2);
        var ids = tokenizer.Encode("🦙");
        var stream = tokenizer.CreateStreamingDecoder();
        Assert.Equal("", stream.Append(ids[0]) + stream.Append(ids[1]));
        Assert.Equal("\uFFFD", stream.Flush());
    }

    [Fact]
    public void StreamingDecoder_SkipSpecial_DropsSpecialTokens()
    {
        var tokenizer = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Qwen2);
        var stream = tokenizer.CreateStreamingDecoder(skipSpecial: true);
        var text = string.Concat(tokenizer.Encode("hi<|im_end|>").Select(stream.Append)) + stream.Flush();
        Assert.Equal("hi", text);
    }

    private static string TinyJson(string addedTokens) => $$$"""
        {"added_tokens": [{{{addedTokens}}}],
         "normalizer": null,
         "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
         "decoder": {"type": "ByteLevel"},
         "model": {"type": "BPE", "vocab": {{{Vocab()}}}, "merges": []}}
        """;

    private static string Vocab()
    {
        var entries = Enumerable.Range(0, 256).Select(b => System.Text.Json.JsonSerializer.Serialize(ByteLevelAlphabet.ByteToChar[b].ToString()) + ": " + b);
        return "{" + string.Join(", ", entries) + "}";
    }

    [Fact]
    public void AddedToken_LStripRStrip_SwallowSurroundingWhitespace()
    {
        var tokenizer = Tokenizer.FromJson(TinyJson("""{"id": 256, "content": "<mask>", "special": true, "lstrip": true, "rstrip": true}"""));
        Assert.Equal([(int)'a', 256, (int)'b'], tokenizer.Encode("a   <mask>  b"));
    }

    [Fact]
    public void AddedToken_SingleWord_OnlyMatchesAsAWholeWord()
    {
        var tokenizer = Tokenizer.FromJson(TinyJson("""{"id": 256, "content": "ab", "special": false, "single_word": true}"""));
        Assert.Equal([256], tokenizer.Encode("ab"));
        Assert.DoesNotContain(256, tokenizer.Encode("cab"));
    }

    [Fact]
    public void AddedToken_LongestMatchWins()
    {
        var tokenizer = Tokenizer.FromJson(TinyJson("""{"id": 256, "content": "<a>", "special": true}, {"id": 257, "content": "<a>b", "special": true}"""));
        Assert.Equal([257, 256], tokenizer.Encode("<a>b<a>"));
    }

    [Theory]
    [InlineData("\"normalizer\": null", "\"normalizer\": {\"type\": \"BertNormalizer\"}", "normalizer type 'BertNormalizer'")]
    [InlineData("\"type\": \"BPE\"", "\"type\": \"Unigram\"", "model type 'Unigram'")]
    [InlineData("\"pre_tokenizer\": {\"type\": \"ByteLevel\"", "\"pre_tokenizer\": {\"type\": \"Whitespace\"", "pre_tokenizer type 'Whitespace'")]
    [InlineData("\"merges\": []", "\"merges\": [\"x y\"]", "merge #0")]
    public void FromJson_UnsupportedComponent_FailsNamingIt(string find, string replace, string expected)
    {
        var json = TinyJson("");
        Assert.Contains(find, json);
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(json.Replace(find, replace)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Encode_IsThreadSafe()
    {
        var tokenizer = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Qwen2);
        var texts = Enumerable.Range(0, 200).Select(i => $"sample {i}: the answer is {i * 7}. 我们{i}").ToArray();
        var expected = texts.Select(t => tokenizer.Encode(t)).ToArray();
        var fresh = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Qwen2);
        var actual = new int[texts.Length][];
        Parallel.For(0, texts.Length, i => actual[i] = fresh.Encode(texts[i]));
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void Decode_InvalidId_Throws()
    {
        var tokenizer = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Qwen2);
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([9999]));
    }

    [Fact]
    public void Decode_SkipSpecial_RemovesOnlySpecials()
    {
        var tokenizer = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Qwen2);
        var ids = tokenizer.Encode("<|im_start|>user\nhello<|im_end|>");
        Assert.Equal("user\nhello", tokenizer.Decode(ids, skipSpecial: true));
        Assert.Equal(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes("<|im_start|>user\nhello<|im_end|>")), tokenizer.Decode(ids));
    }
}
