namespace FineTune.Data;

/// <summary>One chat turn. Roles are "system", "user" and "assistant" (see <see cref="ChatRoles"/>).</summary>
public sealed record ChatMessage(string Role, string Content);
