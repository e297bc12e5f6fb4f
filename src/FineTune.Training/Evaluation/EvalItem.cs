using FineTune.Data;

namespace FineTune.Training.Evaluation;

/// <summary>
/// One problem: the conversation up to the answer (system and user turns, earlier turns of a chat) and the
/// reference answer text (a GSM8K <c>answer</c>, or a chat's last assistant message).
/// </summary>
public sealed record EvalItem(IReadOnlyList<ChatMessage> Prompt, string Answer)
{
    /// <summary>A GSM8K record: the question as the one user turn.</summary>
    public static EvalItem FromGsm8k(string question, string answer) => new([new ChatMessage("user", question)], answer);

    /// <summary>A chat example: everything before its last assistant message is the prompt, that message the answer.</summary>
    public static EvalItem FromChat(ChatExample example)
    {
        int last = -1;
        for (int i = example.Messages.Count - 1; i >= 0 && last < 0; i--)
            if (example.Messages[i].Role == "assistant") last = i;
        if (last < 1) throw new InvalidDataException("an eval example needs a user turn followed by an assistant answer");
        return new EvalItem(example.Messages.Take(last).ToList(), example.Messages[last].Content);
    }

    /// <summary>The normalized reference (see <see cref="Gsm8kScoring.Reference"/>).</summary>
    public string Reference => Gsm8kScoring.Reference(Answer).Value;

    public ReferenceKind ReferenceKind => Gsm8kScoring.Reference(Answer).Kind;

    /// <summary>This item as prior turns of a few-shot prompt: its non-system turns and its answer.</summary>
    public IEnumerable<ChatMessage> AsShot() =>
        Prompt.Where(m => m.Role != "system").Append(new ChatMessage("assistant", Answer));
}
