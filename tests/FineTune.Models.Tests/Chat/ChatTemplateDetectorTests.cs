using FineTune.Models.Chat;
using FineTune.Models.Tests.Tokenization;

namespace FineTune.Models.Tests.Chat;

public class ChatTemplateDetectorTests
{
    private static bool None(string _) => false;

    [Theory]
    [InlineData(ChatTemplateTexts.Qwen25, ChatTemplateKind.Qwen25)]
    [InlineData(ChatTemplateTexts.Llama3, ChatTemplateKind.Llama3)]
    [InlineData("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}", ChatTemplateKind.Qwen2)]
    [InlineData("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}", ChatTemplateKind.ChatMl)]
    public void Detect_KnownTemplate_RecognizedWithReason(string template, ChatTemplateKind expected)
    {
        var choice = ChatTemplateDetector.Detect(template, null, None);
        Assert.Equal(expected, choice.Kind);
        Assert.False(string.IsNullOrWhiteSpace(choice.Reason));
    }

    [Fact]
    public void Detect_RealQwen3AndLlama3Configs_Recognized()
    {
        Assert.Equal(ChatTemplateKind.Qwen3, ChatTemplateDetector.Detect(GoldenData.TokenizerFor("qwen3").Config.ChatTemplate, null, None).Kind);
        Assert.Equal(ChatTemplateKind.Llama3, ChatTemplateDetector.Detect(GoldenData.TokenizerFor("llama3").Config.ChatTemplate, null, None).Kind);
    }

    [Fact]
    public void Detect_Override_WinsAndSaysSo()
    {
        var choice = ChatTemplateDetector.Detect(ChatTemplateTexts.Qwen25, "chatml", None);
        Assert.Equal(ChatTemplateKind.ChatMl, choice.Kind);
        Assert.Contains("override", choice.Reason);
        Assert.Throws<ArgumentException>(() => ChatTemplateDetector.Detect(null, "vicuna", None));
    }

    [Fact]
    public void Detect_NoTemplate_GuessesFromVocabularyAndSaysSo()
    {
        var choice = ChatTemplateDetector.Detect(null, null, t => t is "<|im_start|>" or "<|im_end|>");
        Assert.Equal(ChatTemplateKind.ChatMl, choice.Kind);
        Assert.Contains("no chat_template", choice.Reason);
        Assert.Throws<ChatTemplateException>(() => ChatTemplateDetector.Detect(null, null, None));
    }

    [Fact]
    public void Detect_UnknownOrUnsupportedTemplate_FailsListingOverrides()
    {
        var unknown = Assert.Throws<ChatTemplateException>(() => ChatTemplateDetector.Detect("{{ bos_token }}[INST] {{ m }} [/INST]", null, None));
        Assert.Contains("llama3", unknown.Message);
        var llama31 = Assert.Throws<ChatTemplateException>(() => ChatTemplateDetector.Detect(
            "{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' }}{{- 'Cutting Knowledge Date: December 2023\\n' }}<|eot_id|>", null, None));
        Assert.Contains("Llama 3.1", llama31.Message);
    }
}
