using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FineTune.Synthesis;

/// <summary>
/// The instruction sent with each chunk. A template is plain text with three placeholders: <c>{{count}}</c> (questions
/// wanted), <c>{{system}}</c> (the trigger word, JSON-escaped so it can sit inside the example JSON line) and
/// <c>{{content}}</c> (the chunk). Extra rounds append the questions already asked so the model writes new ones.
/// </summary>
public sealed record PromptTemplate(string Text, SynthesisLanguage Language)
{
    public const string CountPlaceholder = "{{count}}";
    public const string SystemPlaceholder = "{{system}}";
    public const string ContentPlaceholder = "{{content}}";

    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static PromptTemplate Default(SynthesisLanguage language) =>
        new(language == SynthesisLanguage.Zh ? DefaultZh : DefaultEn, language);

    /// <summary>A user's template; it must contain {{content}} and {{count}}.</summary>
    public static PromptTemplate Custom(string text, SynthesisLanguage language)
    {
        foreach (var placeholder in new[] { ContentPlaceholder, CountPlaceholder })
            if (!text.Contains(placeholder, StringComparison.Ordinal))
                throw new ArgumentException($"the prompt template must contain {placeholder}", nameof(text));
        return new PromptTemplate(text, language);
    }

    public string Render(string system, int count, string content, IReadOnlyCollection<string>? alreadyAsked = null)
    {
        var escapedSystem = JsonSerializer.Serialize(system, RelaxedJson)[1..^1];
        var prompt = new StringBuilder(Text
            .Replace(CountPlaceholder, count.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Replace(SystemPlaceholder, escapedSystem)
            .Replace(ContentPlaceholder, content));
        if (alreadyAsked is { Count: > 0 })
        {
            prompt.Append(Language == SynthesisLanguage.Zh
                ? "\n\n下面这些问题已经问过了，请提出与它们不同的新问题：\n"
                : "\n\nThese questions have already been asked; write new, different ones:\n");
            foreach (var question in alreadyAsked)
                prompt.Append("- ").Append(question).Append('\n');
        }
        return prompt.ToString();
    }

    private const string DefaultZh = """
        你是该领域的资深专家。下面是一份文档中的一段内容。
        请根据这段内容，列出 {{count}} 个普通人在日常工作和生活中真正会问的问题，并逐一回答。

        要求：
        1. 问题使用通俗、口语化的表达，不要照抄原文句子，不要出现"根据本文""本规范规定"之类的说法。
        2. 不要问空泛的大问题（例如"这份文件讲了什么"），每个问题都要具体，并且能从这段内容中找到答案。
        3. 回答必须忠实于原文及其合理解释，不要编造原文没有的数字、条款或结论；回答要完整、清楚，可以说明原因。
        4. 只输出结果，每行一个 JSON 对象，不要输出任何其他文字，不要使用代码块。每行的格式为：
        {"system": "{{system}}", "user": "问题", "assistant": "回答"}

        内容：
        {{content}}
        """;

    private const string DefaultEn = """
        You are a senior expert in this field. Below is a passage from a document.
        From this passage, list {{count}} everyday questions that ordinary people would really ask at work or in daily
        life, and answer each one.

        Requirements:
        1. Ask in plain, conversational language; do not copy sentences from the text, and do not say things like
           "according to the text" or "this standard states".
        2. No vague, broad questions (such as "what is this document about"); every question must be specific and
           answerable from this passage.
        3. Answers must be faithful to the text and its reasonable explanation; do not invent numbers, clauses or
           conclusions the text does not contain. Answer completely and clearly, and explain the reason where it helps.
        4. Output only the result: one JSON object per line, no other text, no code fences. Each line looks like:
        {"system": "{{system}}", "user": "question", "assistant": "answer"}

        Passage:
        {{content}}
        """;
}
