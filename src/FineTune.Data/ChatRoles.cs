namespace FineTune.Data;

/// <summary>The three roles chat data may use, spelled as in the OpenAI chat format.</summary>
public static class ChatRoles
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";

    public static bool IsKnown(string role) => role is System or User or Assistant;
}
