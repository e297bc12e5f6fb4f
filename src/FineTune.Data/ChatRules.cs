using System.Runtime.CompilerServices;
namespace FineTune.Data;

/// <summary>
/// The structural rules of chat data, as hosted fine-tuning services apply them: known roles,
/// non-empty content, an optional system message first, then user/assistant alternating from a
/// user message, at least one pair, ending on the assistant. Each broken rule is one
/// <see cref="Problem"/> with a stable code from <see cref="ProblemCodes"/>.
/// </summary>
public static class ChatRules
{
    public static IReadOnlyList<Problem> Check(ChatExample example, long line)
    {
        var problems = new List<Problem>();
        Check(example, line, static (i, field) => $"messages[{i}].{field}", problems);
        return problems;
    }

    /// <summary>
    /// Checks <paramref name="example"/>, naming field <c>f</c> ("role", "content") of message <c>i</c> by
    /// <paramref name="path"/>(i, f) (so an alpaca record reports <c>output</c>, not <c>messages[1].content</c>),
    /// and appends to <paramref name="problems"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    public static void Check(ChatExample example, long line, Func<int, string, string> path, List<Problem> problems)
    {
        var messages = example.Messages;
        if (messages.Count == 0)
        {
            problems.Add(Problem.Error(line, "messages", ProblemCodes.EmptyMessages, "the messages array is empty"));
            return;
        }

        string? previous = null;     // role of the previous non-system message with a known role
        bool sawNonSystem = false, sawAssistant = false, sawPair = false, sawInvalid = false;
        for (var i = 0; i < messages.Count; i++)
        {
            var (role, content) = (messages[i].Role, messages[i].Content);
            if (content.Length == 0)
                problems.Add(Problem.Error(line, path(i, "content"), ProblemCodes.EmptyContent,
                    $"message {i} ({role}) has empty content"));
            else if (role == ChatRoles.Assistant && string.IsNullOrWhiteSpace(content))
                problems.Add(Problem.Warning(line, path(i, "content"), ProblemCodes.EmptyAnswer,
                    $"assistant message {i} is whitespace only", Excerpts.Of(content)));

            if (!ChatRoles.IsKnown(role))
            {
                problems.Add(Problem.Error(line, path(i, "role"), ProblemCodes.InvalidRole,
                    $"role \"{Excerpts.Of(role, 40)}\" is not one of system, user, assistant", Excerpts.Of(content)));
                sawNonSystem = sawInvalid = true;
                continue;
            }
            if (role == ChatRoles.System)
            {
                if (i > 0)
                    problems.Add(Problem.Error(line, path(i, "role"), ProblemCodes.SystemNotFirst,
                        $"a system message may only be first; message {i} is system", Excerpts.Of(content)));
                continue;
            }

            if (previous is null && !sawNonSystem && role != ChatRoles.User)
                problems.Add(Problem.Error(line, path(i, "role"), ProblemCodes.FirstNotUser,
                    $"the first non-system message must be from user, not {role}", Excerpts.Of(content)));
            else if (previous == role)
                problems.Add(Problem.Error(line, path(i, "role"), ProblemCodes.NotAlternating,
                    $"message {i} is {role} again; user and assistant must alternate", Excerpts.Of(content)));

            if (role == ChatRoles.Assistant)
            {
                sawAssistant = true;
                if (previous == ChatRoles.User) sawPair = true;
            }
            previous = role;
            sawNonSystem = true;
        }

        if (sawInvalid) return;      // the pair rules would only echo the unknown role
        var last = messages.Count - 1;
        if (!sawPair && !sawAssistant)
            problems.Add(Problem.Error(line, "messages", ProblemCodes.NoPair,
                "no user message followed by an assistant message; an example needs at least one pair"));
        else if (messages[last].Role != ChatRoles.Assistant && ChatRoles.IsKnown(messages[last].Role))
            problems.Add(Problem.Error(line, path(last, "role"), ProblemCodes.LastNotAssistant,
                $"the last message must be from assistant, not {messages[last].Role}", Excerpts.Of(messages[last].Content)));
        else if (!sawPair)
            problems.Add(Problem.Error(line, "messages", ProblemCodes.NoPair,
                "no user message followed by an assistant message; an example needs at least one pair"));
    }
}
