using FineTune.Models.Tokenization;

namespace FineTune.Models.Tests.Tokenization;

public class TokenizerConfigTests
{
    [Fact]
    public void Parse_TokenObjectsAndNamedTemplates_AreUnderstood()
    {
        var config = TokenizerConfig.Parse("""
            {"bos_token": {"content": "<s>", "lstrip": false, "__type": "AddedToken"}, "eos_token": "</s>", "pad_token": null,
             "add_bos_token": true, "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}
            """);
        Assert.Equal("<s>", config.BosToken);
        Assert.Equal("</s>", config.EosToken);
        Assert.Null(config.PadToken);
        Assert.True(config.AddBosToken);
        Assert.Equal("D", config.ChatTemplate);
    }

    [Fact]
    public void Load_FolderWithoutTokenizerJson_SaysWhatIsMissing()
    {
        var dir = Directory.CreateTempSubdirectory("ft-no-tok-").FullName;
        try
        {
            var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.Load(dir));
            Assert.Contains("tokenizer.json", e.Message);
        }
        finally { Directory.Delete(dir); }
    }

    [Fact]
    public void GoldenData_MissingNodeModules_FailsPointingAtSetupScript()
    {
        var e = Assert.ThrowsAny<Exception>(() => GoldenData.RequirePackages(Path.Combine(Path.GetTempPath(), "no-such-node-modules")));
        Assert.Contains("infra/local/setup.sh", e.Message);
    }
}
