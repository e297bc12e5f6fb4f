using FineTune.Data;

namespace FineTune.Synthesis;

/// <summary>Turns a pair into the chat example written to the output and checks it with the Data project's
/// <see cref="ChatRules"/> — the same rules `finetune validate` applies — so every kept line passes validation.</summary>
public static class PairRules
{
    public static ChatExample ToExample(string system, QaPair pair) => ChatExample.Of(
        new ChatMessage(ChatRoles.System, system),
        new ChatMessage(ChatRoles.User, pair.Question),
        new ChatMessage(ChatRoles.Assistant, pair.Answer));

    /// <summary>Null when the pair is valid, else the drop reason "rule:CODE" of its first error.</summary>
    public static string? Check(string system, QaPair pair)
    {
        var error = ChatRules.Check(ToExample(system, pair), line: 0).FirstOrDefault(p => p.Severity == Severity.Error);
        return error is null ? null : DropReasons.Rule(error.Code);
    }
}
