namespace FineTune.Models.Chat;

/// <summary>The chat formats the pipeline renders natively (no Jinja engine: each is written out by hand).</summary>
public enum ChatTemplateKind
{
    /// <summary>ChatML with no default system prompt: <c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c>.</summary>
    ChatMl,

    /// <summary>Qwen2-Instruct: ChatML, default system prompt "You are a helpful assistant.".</summary>
    Qwen2,

    /// <summary>Qwen2.5-Instruct: ChatML, default system prompt "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.".</summary>
    Qwen25,

    /// <summary>Qwen3: ChatML, no default system prompt, <c>&lt;think&gt;</c> blocks on assistant turns after the last user turn.</summary>
    Qwen3,

    /// <summary>Llama 3 (Meta-Llama-3-*-Instruct): <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ncontent&lt;|eot_id|&gt;</c>, BOS first.</summary>
    Llama3,
}
