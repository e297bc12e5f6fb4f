using FineTune.Models.Chat;
using FineTune.Models.Checkpoints;
using FineTune.Models.Tests.Tokenization;
using FineTune.Models.Tokenization;

namespace FineTune.Models.Tests.Chat;

/// <summary>
/// Expected strings are written by hand from the real Jinja templates (Qwen2.5-Instruct, Meta-Llama-3-Instruct,
/// Qwen3) and were checked once against transformers.js's Jinja renderer where it can parse the template.
/// </summary>
public class ChatTemplateTests
{
    private static readonly Lazy<Tokenizer> TinyQwen = new(() => TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Qwen2));
    private static readonly Lazy<Tokenizer> TinyLlama = new(() => TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Llama));

    private static readonly (string, string)[] MultiTurn =
    [
        ("user", "What is 2+2?"),
        ("assistant", "2+2 = 4."),
        ("user", "And 3*3?"),
        ("assistant", "9"),
    ];

    [Fact]
    public void RenderText_Qwen25WithoutSystem_AddsDefaultSystemPrompt()
    {
        var template = ChatTemplate.ForTokenizer(TinyQwen.Value);
        Assert.Equal(ChatTemplateKind.Qwen25, template.Kind);
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
            "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n2+2 = 4.<|im_end|>\n" +
            "<|im_start|>user\nAnd 3*3?<|im_end|>\n<|im_start|>assistant\n9<|im_end|>\n",
            template.RenderText(MultiTurn, addGenerationPrompt: false));
    }

    [Fact]
    public void RenderText_Qwen25WithSystemAndGenerationPrompt_EndsWithAssistantHeader()
    {
        var template = ChatTemplate.ForTokenizer(TinyQwen.Value);
        Assert.Equal(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            template.RenderText([("system", "Be brief."), ("user", "Hi")], addGenerationPrompt: true));
    }

    [Fact]
    public void RenderText_Qwen2AndPlainChatMl_DifferOnlyInDefaultSystem()
    {
        var qwen2 = ChatTemplate.ForTokenizer(TinyQwen.Value, "qwen2");
        var chatml = ChatTemplate.ForTokenizer(TinyQwen.Value, "chatml");
        (string, string)[] messages = [("user", "Hi")];
        Assert.Equal("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            qwen2.RenderText(messages, true));
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", chatml.RenderText(messages, true));
    }

    [Fact]
    public void RenderText_Llama3_TrimsContentAndPutsBosFirst()
    {
        var template = ChatTemplate.ForTokenizer(TinyLlama.Value);
        Assert.Equal(ChatTemplateKind.Llama3, template.Kind);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>",
            template.RenderText([("system", "Be brief."), ("user", " Hi "), ("assistant", "Hello!\n")], addGenerationPrompt: false));
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            template.RenderText([("user", "Hi")], addGenerationPrompt: true));
    }

    [Fact]
    public void RenderText_Qwen3_ThinkBlockOnlyAfterLastQuery()
    {
        var template = ChatTemplate.ForTokenizer(GoldenData.TokenizerFor("qwen3"));
        Assert.Equal(ChatTemplateKind.Qwen3, template.Kind);
        Assert.Equal(
            "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n" +
            "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nA2<|im_end|>\n",
            template.RenderText([("user", "Q1"), ("assistant", "<think>\nr1\n</think>\n\nA1"), ("user", "Q2"), ("assistant", "A2")], false));
        Assert.Equal(
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\nr\n</think>\n\nA<|im_end|>\n",
            template.RenderText([("system", "S"), ("user", "Q"), ("assistant", "<think>r</think>A")], false));
    }

    [Fact]
    public void Render_ChatMl_MasksAssistantContentAndImEndOnly()
    {
        var tokenizer = TinyQwen.Value;
        var template = ChatTemplate.ForTokenizer(tokenizer);
        var (ids, mask) = template.Render(MultiTurn, addGenerationPrompt: false);
        Assert.Equal(ids.Length, mask.Length);
        var trained = Spans(ids, mask, tokenizer);
        Assert.Equal(["2+2 = 4.<|im_end|>", "9<|im_end|>"], trained);
        Assert.Equal(template.RenderText(MultiTurn, false), tokenizer.Decode(ids));
        Assert.Equal(tokenizer.Encode(template.RenderText(MultiTurn, false)), ids); // no whitespace at the seams here
    }

    [Fact]
    public void Render_Llama3_MasksAssistantContentAndEotId()
    {
        var tokenizer = TinyLlama.Value;
        var template = ChatTemplate.ForTokenizer(tokenizer);
        var (ids, mask) = template.Render(MultiTurn, addGenerationPrompt: false);
        Assert.Equal(["2+2 = 4.<|eot_id|>", "9<|eot_id|>"], Spans(ids, mask, tokenizer));
        Assert.Equal(tokenizer.BosTokenId, ids[0]);
        Assert.Equal(tokenizer.TokenToId("<|eot_id|>"), template.EndOfTurnTokenId);
    }

    [Fact]
    public void Render_WithGenerationPrompt_NothingMaskedAndEndsWithHeader()
    {
        var tokenizer = GoldenData.TokenizerFor("llama3");
        var template = ChatTemplate.ForTokenizer(tokenizer, "llama3");
        var (ids, mask) = template.Render([("user", "你好，2+2 等于几？")], addGenerationPrompt: true);
        Assert.DoesNotContain(true, mask);
        Assert.Equal(tokenizer.Encode(template.RenderText([("user", "你好，2+2 等于几？")], true)), ids);
        Assert.EndsWith("<|start_header_id|>assistant<|end_header_id|>\n\n", tokenizer.Decode(ids));
    }

    [Fact]
    public void Render_UnknownRole_Throws()
    {
        var template = ChatTemplate.ForTokenizer(TinyQwen.Value);
        var e = Assert.Throws<ArgumentException>(() => template.Render([("tool", "x")], false));
        Assert.Contains("role 'tool'", e.Message);
    }

    [Fact]
    public void ForTokenizer_TemplateTokensMissing_FailsNamingTheToken()
    {
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.ForTokenizer(TinyQwen.Value, "llama3"));
        Assert.Contains("<|start_header_id|>", e.Message);
    }

    private static string[] Spans(int[] ids, bool[] mask, Tokenizer tokenizer)
    {
        var spans = new List<string>();
        var current = new List<int>();
        for (int i = 0; i <= ids.Length; i++)
        {
            if (i < ids.Length && mask[i]) { current.Add(ids[i]); continue; }
            if (current.Count > 0) { spans.Add(tokenizer.Decode(current)); current.Clear(); }
        }
        return spans.ToArray();
    }
}

/// <summary>Our renderer against transformers.js's Jinja engine running the real template texts.</summary>
public class ChatTemplateJinjaParityTests
{
    [Fact]
    public void RenderText_MatchesJinjaRenderingOfTheRealTemplates()
    {
        var tokenizers = new Dictionary<ChatTemplateKind, Tokenizer>
        {
            [ChatTemplateKind.Qwen25] = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Qwen2),
            [ChatTemplateKind.Qwen2] = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Qwen2),
            [ChatTemplateKind.Llama3] = TinyTokenizerBuilder.BuildTokenizer(ModelFamily.Llama),
        };
        var reference = GoldenData.ChatReference;
        Assert.Equal(GoldenData.ChatCases.Count, reference.Count);
        for (int i = 0; i < reference.Count; i++)
        {
            var c = GoldenData.ChatCases[i];
            var template = ChatTemplate.Create(tokenizers[c.Kind], c.Kind);
            var messages = c.Messages.Select(m => (m.Role, m.Content)).ToList();
            Assert.True(reference[i] == template.RenderText(messages, c.AddGenerationPrompt),
                $"case {i} ({c.Kind}, generation prompt {c.AddGenerationPrompt}):\n jinja {System.Text.Json.JsonSerializer.Serialize(reference[i])}\n ours  {System.Text.Json.JsonSerializer.Serialize(template.RenderText(messages, c.AddGenerationPrompt))}");
        }
    }
}
