namespace FineTune.Models.Chat;

/// <summary>
/// Recognizes the Jinja <c>chat_template</c> of tokenizer_config.json by substring fingerprints of the known
/// templates, or honours an explicit override. Anything unrecognized is an error that lists the overrides.
/// </summary>
public static class ChatTemplateDetector
{
    public const string Qwen25DefaultSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
    public const string Qwen2DefaultSystem = "You are a helpful assistant.";

    private static readonly Dictionary<string, ChatTemplateKind> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["chatml"] = ChatTemplateKind.ChatMl,
        ["qwen2"] = ChatTemplateKind.Qwen2,
        ["qwen2.5"] = ChatTemplateKind.Qwen25,
        ["qwen25"] = ChatTemplateKind.Qwen25,
        ["qwen3"] = ChatTemplateKind.Qwen3,
        ["llama3"] = ChatTemplateKind.Llama3,
        ["llama-3"] = ChatTemplateKind.Llama3,
    };

    public static IEnumerable<string> OverrideNames => ["chatml", "qwen2", "qwen2.5", "qwen3", "llama3"];

    public static string NameOf(ChatTemplateKind kind) => kind switch
    {
        ChatTemplateKind.ChatMl => "chatml",
        ChatTemplateKind.Qwen2 => "qwen2",
        ChatTemplateKind.Qwen25 => "qwen2.5",
        ChatTemplateKind.Qwen3 => "qwen3",
        ChatTemplateKind.Llama3 => "llama3",
        _ => kind.ToString(),
    };

    /// <param name="chatTemplate">tokenizer_config.json's chat_template (may be null).</param>
    /// <param name="overrideName">An explicit choice (chatml, qwen2, qwen2.5, qwen3, llama3); wins when given.</param>
    /// <param name="hasToken">Whether the tokenizer has a token, used only when there is no chat_template.</param>
    public static ChatTemplateChoice Detect(string? chatTemplate, string? overrideName, Func<string, bool> hasToken)
    {
        if (!string.IsNullOrWhiteSpace(overrideName))
            return Names.TryGetValue(overrideName.Trim(), out var forced)
                ? new ChatTemplateChoice(forced, $"override '{overrideName}'")
                : throw new ArgumentException(
                    $"unknown chat template '{overrideName}' (known: {string.Join(", ", OverrideNames)})", nameof(overrideName));

        if (string.IsNullOrWhiteSpace(chatTemplate))
        {
            if (hasToken("<|im_start|>") && hasToken("<|im_end|>"))
                return new(ChatTemplateKind.ChatMl, "no chat_template in tokenizer_config.json; the vocabulary has <|im_start|>/<|im_end|>, so plain ChatML");
            if (hasToken("<|start_header_id|>") && hasToken("<|eot_id|>"))
                return new(ChatTemplateKind.Llama3, "no chat_template in tokenizer_config.json; the vocabulary has <|start_header_id|>/<|eot_id|>, so Llama 3");
            throw new ChatTemplateException(
                $"tokenizer_config.json has no chat_template and the vocabulary has neither ChatML nor Llama 3 tokens; pass a template ({string.Join(", ", OverrideNames)})");
        }

        if (chatTemplate.Contains("<|im_start|>", StringComparison.Ordinal))
        {
            if (chatTemplate.Contains("You are Qwen, created by Alibaba Cloud", StringComparison.Ordinal))
                return new(ChatTemplateKind.Qwen25, "chat_template is ChatML with Qwen2.5's default system prompt 'You are Qwen, created by Alibaba Cloud…'");
            if (chatTemplate.Contains("</think>", StringComparison.Ordinal) || chatTemplate.Contains("reasoning_content", StringComparison.Ordinal))
                return new(ChatTemplateKind.Qwen3, "chat_template is ChatML with Qwen3's <think>/reasoning_content handling");
            if (chatTemplate.Contains(Qwen2DefaultSystem, StringComparison.Ordinal))
                return new(ChatTemplateKind.Qwen2, "chat_template is ChatML with Qwen2's default system prompt 'You are a helpful assistant.'");
            return new(ChatTemplateKind.ChatMl, "chat_template contains <|im_start|> and no default system prompt: plain ChatML");
        }
        if (chatTemplate.Contains("<|start_header_id|>", StringComparison.Ordinal) && chatTemplate.Contains("<|eot_id|>", StringComparison.Ordinal))
        {
            if (chatTemplate.Contains("Cutting Knowledge Date", StringComparison.Ordinal) || chatTemplate.Contains("Environment: ipython", StringComparison.Ordinal))
                throw new ChatTemplateException(
                    "chat_template is Llama 3.1/3.2's (date header 'Cutting Knowledge Date', tools), which is not implemented; " +
                    "pass the 'llama3' template to render plain Llama 3 headers");
            return new(ChatTemplateKind.Llama3, "chat_template has <|start_header_id|>…<|eot_id|> headers: Llama 3");
        }
        var head = chatTemplate.Length > 80 ? chatTemplate[..80] + "…" : chatTemplate;
        throw new ChatTemplateException(
            $"chat_template is not one of the known templates (starts with {System.Text.Json.JsonSerializer.Serialize(head)}); pass a template ({string.Join(", ", OverrideNames)})");
    }
}
