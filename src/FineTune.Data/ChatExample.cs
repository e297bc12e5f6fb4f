namespace FineTune.Data;

/// <summary>One training example in the normalized chat form every format converts to.</summary>
public sealed record ChatExample(IReadOnlyList<ChatMessage> Messages)
{
    public static ChatExample Of(params ChatMessage[] messages) => new(messages);
}
