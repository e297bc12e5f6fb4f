using FineTune.Models.Tokenization;

namespace FineTune.Models.Chat;

/// <summary>
/// Renders a conversation the way the model's Jinja chat template does (byte-for-byte the same text), and
/// tokenizes it with a per-token mask of what the model should learn: each assistant turn's content plus its end
/// token (<c>&lt;|im_end|&gt;</c> / <c>&lt;|eot_id|&gt;</c>), as LLaMA-Factory trains. Prompt parts and the assistant
/// parts are tokenized separately (as LLaMA-Factory does), so a turn's ids never depend on the next turn.
/// </summary>
public sealed class ChatTemplate
{
    private readonly Tokenizer _tokenizer;
    private readonly string _bos;

    public ChatTemplateKind Kind { get; }

    /// <summary>Why this template was chosen; print it next to training and serving runs.</summary>
    public ChatTemplateChoice Choice { get; }

    public string Name => ChatTemplateDetector.NameOf(Kind);

    /// <summary>The token that ends an assistant turn: generation stops on it.</summary>
    public string EndOfTurnToken => Kind == ChatTemplateKind.Llama3 ? "<|eot_id|>" : "<|im_end|>";

    public int EndOfTurnTokenId => _tokenizer.RequireTokenId(EndOfTurnToken);

    private ChatTemplate(Tokenizer tokenizer, ChatTemplateChoice choice)
    {
        _tokenizer = tokenizer;
        Choice = choice;
        Kind = choice.Kind;
        _bos = tokenizer.BosToken ?? "<|begin_of_text|>";
        string[] required = Kind == ChatTemplateKind.Llama3
            ? ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", _bos]
            : ["<|im_start|>", "<|im_end|>"];
        foreach (var token in required)
            if (tokenizer.TokenToId(token) is null)
                throw new ChatTemplateException($"the {Name} template needs the token {token}, which this tokenizer lacks ({choice.Reason})");
    }

    /// <summary>Picks the template from tokenizer_config.json's chat_template, unless <paramref name="overrideName"/> is given.</summary>
    public static ChatTemplate ForTokenizer(Tokenizer tokenizer, string? overrideName = null) =>
        new(tokenizer, ChatTemplateDetector.Detect(tokenizer.Config.ChatTemplate, overrideName, t => tokenizer.TokenToId(t) is not null));

    public static ChatTemplate Create(Tokenizer tokenizer, ChatTemplateKind kind) =>
        new(tokenizer, new ChatTemplateChoice(kind, "chosen by the caller"));

    // ---- public API ----

    public string RenderText(IReadOnlyList<(string role, string content)> messages, bool addGenerationPrompt) =>
        string.Concat(Segments(messages, addGenerationPrompt).Select(s => s.Text));

    public string RenderText(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt) =>
        RenderText(messages.Select(m => (m.Role, m.Content)).ToList(), addGenerationPrompt);

    /// <summary>Token ids of the rendered conversation and, per id, whether it is assistant output to train on.</summary>
    public (int[] ids, bool[] assistantMask) Render(IReadOnlyList<(string role, string content)> messages, bool addGenerationPrompt)
    {
        var ids = new List<int>();
        var mask = new List<bool>();
        foreach (var (text, trainable) in Segments(messages, addGenerationPrompt))
        {
            int before = ids.Count;
            _tokenizer.Encode(text, ids);
            for (int i = before; i < ids.Count; i++) mask.Add(trainable);
        }
        return (ids.ToArray(), mask.ToArray());
    }

    public (int[] ids, bool[] assistantMask) Render(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt) =>
        Render(messages.Select(m => (m.Role, m.Content)).ToList(), addGenerationPrompt);

    // ---- rendering: the text split into prompt and trainable pieces (adjacent prompt pieces joined) ----

    private List<(string Text, bool Trainable)> Segments(IReadOnlyList<(string role, string content)> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0) throw new ArgumentException("a conversation needs at least one message", nameof(messages));
        for (int i = 0; i < messages.Count; i++)
        {
            var (role, content) = messages[i];
            if (role is not ("system" or "user" or "assistant"))
                throw new ArgumentException($"message {i}: role '{role}' is not supported (system, user, assistant)", nameof(messages));
            ArgumentNullException.ThrowIfNull(content, $"messages[{i}].content");
        }
        var output = new SegmentBuilder();
        if (Kind == ChatTemplateKind.Llama3) RenderLlama3(messages, addGenerationPrompt, output);
        else if (Kind == ChatTemplateKind.Qwen3) RenderQwen3(messages, addGenerationPrompt, output);
        else RenderChatMl(messages, addGenerationPrompt, output);
        return output.Segments;
    }

    /// <summary>Qwen2 / Qwen2.5 / plain ChatML (their templates without tools render identically but for the default system prompt).</summary>
    private void RenderChatMl(IReadOnlyList<(string role, string content)> messages, bool addGenerationPrompt, SegmentBuilder o)
    {
        string? defaultSystem = Kind switch
        {
            ChatTemplateKind.Qwen25 => ChatTemplateDetector.Qwen25DefaultSystem,
            ChatTemplateKind.Qwen2 => ChatTemplateDetector.Qwen2DefaultSystem,
            _ => null,
        };
        if (messages[0].role != "system" && defaultSystem is not null)
            o.Prompt("<|im_start|>system\n" + defaultSystem + "<|im_end|>\n");
        foreach (var (role, content) in messages)
        {
            if (role == "assistant")
            {
                o.Prompt("<|im_start|>assistant\n");
                o.Train(content + "<|im_end|>");
                o.Prompt("\n");
            }
            else o.Prompt("<|im_start|>" + role + "\n" + content + "<|im_end|>\n");
        }
        if (addGenerationPrompt) o.Prompt("<|im_start|>assistant\n");
    }

    /// <summary>Qwen3's template without tools: think blocks on assistant turns after the last user query.</summary>
    private static void RenderQwen3(IReadOnlyList<(string role, string content)> messages, bool addGenerationPrompt, SegmentBuilder o)
    {
        if (messages[0].role == "system")
            o.Prompt("<|im_start|>system\n" + messages[0].content + "<|im_end|>\n");
        int lastQuery = messages.Count - 1;
        for (int i = messages.Count - 1; i >= 0; i--)
        {
            var (role, content) = messages[i];
            if (role == "user" && !(content.StartsWith("<tool_response>", StringComparison.Ordinal) && content.EndsWith("</tool_response>", StringComparison.Ordinal)))
            {
                lastQuery = i;
                break;
            }
        }
        for (int i = 0; i < messages.Count; i++)
        {
            var (role, raw) = messages[i];
            if (role == "user" || (role == "system" && i > 0))
            {
                o.Prompt("<|im_start|>" + role + "\n" + raw + "<|im_end|>\n");
                continue;
            }
            if (role != "assistant") continue;
            string content = raw, reasoning = "";
            int close = raw.IndexOf("</think>", StringComparison.Ordinal);
            if (close >= 0)
            {
                content = raw[(raw.LastIndexOf("</think>", StringComparison.Ordinal) + "</think>".Length)..].TrimStart('\n');
                var before = raw[..close].TrimEnd('\n');
                int open = before.LastIndexOf("<think>", StringComparison.Ordinal);
                reasoning = (open >= 0 ? before[(open + "<think>".Length)..] : before).TrimStart('\n');
            }
            o.Prompt("<|im_start|>assistant\n");
            if (i > lastQuery && (i == messages.Count - 1 || reasoning.Length > 0))
                o.Train("<think>\n" + reasoning.Trim('\n') + "\n</think>\n\n" + content.TrimStart('\n') + "<|im_end|>");
            else
                o.Train(content + "<|im_end|>");
            o.Prompt("\n");
        }
        if (addGenerationPrompt) o.Prompt("<|im_start|>assistant\n");
    }

    private void RenderLlama3(IReadOnlyList<(string role, string content)> messages, bool addGenerationPrompt, SegmentBuilder o)
    {
        for (int i = 0; i < messages.Count; i++)
        {
            var (role, content) = messages[i];
            var header = (i == 0 ? _bos : "") + "<|start_header_id|>" + role + "<|end_header_id|>\n\n";
            if (role == "assistant")
            {
                o.Prompt(header);
                o.Train(PythonStrip(content) + "<|eot_id|>");
            }
            else o.Prompt(header + PythonStrip(content) + "<|eot_id|>");
        }
        if (addGenerationPrompt) o.Prompt("<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    /// <summary>Jinja's <c>trim</c> is Python's <c>str.strip()</c>.</summary>
    private static string PythonStrip(string s) => s.Trim();

    private sealed class SegmentBuilder
    {
        public List<(string Text, bool Trainable)> Segments { get; } = [];

        public void Prompt(string text) => Add(text, false);
        public void Train(string text) => Add(text, true);

        private void Add(string text, bool trainable)
        {
            if (text.Length == 0) return;
            if (Segments.Count > 0 && Segments[^1].Trainable == trainable)
                Segments[^1] = (Segments[^1].Text + text, trainable);
            else
                Segments.Add((text, trainable));
        }
    }
}
