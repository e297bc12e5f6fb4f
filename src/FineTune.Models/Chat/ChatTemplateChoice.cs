namespace FineTune.Models.Chat;

/// <summary>
/// Which template was picked and why, in words a log line can carry ("tokenizer_config.json chat_template contains
/// 'You are Qwen, created by Alibaba Cloud'"). A template mismatch is the most common cause of a broken fine-tune,
/// so the trainer and CLI print this.
/// </summary>
public sealed record ChatTemplateChoice(ChatTemplateKind Kind, string Reason)
{
    public override string ToString() => $"{ChatTemplateDetector.NameOf(Kind)} ({Reason})";
}
