using FineTune.Models.Checkpoints;
using FineTune.Models.Tokenization;

namespace FineTune.Models.Tests.Tokenization;

public class TinyTokenizerBuilderTests
{
    [Theory]
    [InlineData(ModelFamily.Qwen2)]
    [InlineData(ModelFamily.Llama)]
    public void Write_ThenLoad_HasVocab512SpecialsAtTheEndAndRoundTrips(ModelFamily family)
    {
        var dir = Directory.CreateTempSubdirectory("ft-tiny-tok-").FullName;
        try
        {
            TinyTokenizerBuilder.Write(family, dir);
            var tokenizer = Tokenizer.Load(dir);
            Assert.Equal(TinyTokenizerBuilder.VocabSize, tokenizer.VocabSize);
            foreach (var special in TinyTokenizerBuilder.SpecialTokens(family))
            {
                int id = TinyTokenizerBuilder.SpecialTokenId(family, special);
                Assert.Equal(id, tokenizer.TokenToId(special));
                Assert.True(tokenizer.IsSpecial(id));
            }
            foreach (var text in new[] { "The answer is 42.", "我们今天去公园散步。", "12 + 30 = 42\n", "Zebra quasar 🦙 ñ\t\tx", "" })
            {
                var ids = tokenizer.Encode(text);
                Assert.All(ids, id => Assert.InRange(id, 0, TinyTokenizerBuilder.VocabSize - 1));
                Assert.Equal(text, tokenizer.Decode(ids));
            }
            // merges were learned: common corpus words take fewer tokens than bytes
            Assert.True(tokenizer.Encode(" the answer is").Length < " the answer is".Length / 2);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Build_IsDeterministic()
    {
        Assert.Equal(TinyTokenizerBuilder.Build(ModelFamily.Qwen2), TinyTokenizerBuilder.Build(ModelFamily.Qwen2));
    }

    [Fact]
    public void TinyLlama_AddSpecialTokens_PrependsBegin_OfText()
    {
        var tokenizer = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Llama);
        var ids = tokenizer.Encode("Hi", addSpecialTokens: true);
        Assert.Equal(TinyTokenizerBuilder.SpecialTokenId(ModelFamily.Llama, "<|begin_of_text|>"), ids[0]);
        Assert.Equal(tokenizer.BosTokenId, ids[0]);
        Assert.Equal(TinyTokenizerBuilder.SpecialTokenId(ModelFamily.Llama, "<|eot_id|>"), tokenizer.EosTokenId);
    }

    [Fact]
    public void TinyQwen_ConfigEosIsImEnd()
    {
        var tokenizer = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Qwen2);
        Assert.Equal(ModelPresets.TinyQwen2.EosTokenIds[0], tokenizer.EosTokenId);
        Assert.Null(tokenizer.BosTokenId);
    }
}
