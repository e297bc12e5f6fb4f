using FineTune.Data;

namespace FineTune.Data.Tests;

public class ChatRulesTests
{
    private static ChatExample Ex(params string[] roleContent) =>
        new(Enumerable.Range(0, roleContent.Length / 2).Select(i => new ChatMessage(roleContent[2 * i], roleContent[2 * i + 1])).ToList());

    private static string[] Codes(ChatExample example) => ChatRules.Check(example, 7).Select(p => p.Code).ToArray();

    [Fact]
    public void Check_ValidSystemUserAssistant_NoProblems() =>
        Assert.Empty(ChatRules.Check(Ex("system", "s", "user", "u", "assistant", "a", "user", "u2", "assistant", "a2"), 1));

    [Fact]
    public void Check_EmptyMessages_EmptyMessages() => Assert.Equal(["empty_messages"], Codes(new ChatExample([])));

    [Fact]
    public void Check_UnknownRole_InvalidRoleWithPathAndLine()
    {
        var problem = Assert.Single(ChatRules.Check(Ex("user", "u", "bot", "a", "assistant", "b"), 7), p => p.Code == "invalid_role");
        Assert.Equal(7, problem.Line);
        Assert.Equal("messages[1].role", problem.Path);
        Assert.Equal(Severity.Error, problem.Severity);
    }

    [Fact]
    public void Check_SystemAfterUser_SystemNotFirst() =>
        Assert.Contains("system_not_first", Codes(Ex("user", "u", "system", "s", "assistant", "a")));

    [Fact]
    public void Check_AssistantFirst_FirstNotUser() =>
        Assert.Contains("first_not_user", Codes(Ex("system", "s", "assistant", "a", "user", "u", "assistant", "b")));

    [Fact]
    public void Check_TwoUsersInARow_NotAlternatingAtSecond()
    {
        var problem = Assert.Single(ChatRules.Check(Ex("user", "u", "user", "u2", "assistant", "a"), 3));
        Assert.Equal(("not_alternating", "messages[1].role"), (problem.Code, problem.Path));
    }

    [Fact]
    public void Check_EndsOnUser_LastNotAssistant() =>
        Assert.Equal(["last_not_assistant"], Codes(Ex("user", "u", "assistant", "a", "user", "u2")));

    [Fact]
    public void Check_OnlyUser_NoPair() => Assert.Equal(["no_pair"], Codes(Ex("user", "u")));

    [Fact]
    public void Check_OnlySystem_NoPair() => Assert.Equal(["no_pair"], Codes(Ex("system", "s")));

    [Fact]
    public void Check_EmptyContent_EmptyContentError() =>
        Assert.Equal(["empty_content"], Codes(Ex("user", "", "assistant", "a")));

    [Fact]
    public void Check_WhitespaceAnswer_EmptyAnswerWarning()
    {
        var problem = Assert.Single(ChatRules.Check(Ex("user", "u", "assistant", "  \n"), 1));
        Assert.Equal(("empty_answer", Severity.Warning), (problem.Code, problem.Severity));
    }
}
