using System.Text.Json.Nodes;
using FineTune.Models.Tokenization;

namespace FineTune.Models.Tests.Tokenization;

/// <summary>
/// Newer Llama 2 / TinyLlama tokenizer.json files express SentencePiece's leading '▁' with a Metaspace
/// pre-tokenizer (prepend_scheme "first") instead of Prepend/Replace normalizers. On text that does not start
/// with whitespace or hold special tokens both give the same ids, so the Llama 2 golden ids check this path too.
/// </summary>
public class MetaspaceTokenizerTests
{
    [Fact]
    public void Encode_MetaspaceVariantOfLlama2_MatchesGoldenIds()
    {
        var golden = GoldenData.Get("llama2");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(golden.Dir, "tokenizer.json")))!.AsObject();
        json["normalizer"] = null;
        json["pre_tokenizer"] = JsonNode.Parse("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}""");
        var tokenizer = Tokenizer.FromJson(json.ToJsonString());
        Assert.Contains("Metaspace", tokenizer.Description);
        int compared = 0;
        foreach (var c in golden.Cases)
        {
            if (c.Text.Length == 0 || char.IsWhiteSpace(c.Text[0]) || c.Text.Contains("<s>") || c.Text.Contains("</s>")) continue;
            Assert.Equal(c.Ids, tokenizer.Encode(c.Text));
            Assert.Equal(c.Text, tokenizer.Decode(c.Ids));
            compared++;
        }
        Assert.True(compared > 15, $"only {compared} cases compared");
    }
}
