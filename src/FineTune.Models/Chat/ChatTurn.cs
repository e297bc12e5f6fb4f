namespace FineTune.Models.Chat;

/// <summary>One message of a conversation: role is "system", "user" or "assistant".</summary>
public sealed record ChatTurn(string Role, string Content)
{
    public static implicit operator ChatTurn((string Role, string Content) t) => new(t.Role, t.Content);
}
