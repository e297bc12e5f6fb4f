using System.Runtime.CompilerServices;
using System.Text.Json;

namespace FineTune.Data;

/// <summary>
/// Parses one chat JSONL record, <c>{"messages":[{"role":…,"content":…},…]}</c>, straight from UTF-8
/// bytes. Type and shape problems become <see cref="Problem"/>s; the rules on roles and order are
/// <see cref="ChatRules"/>' job. Throws <see cref="JsonException"/> on malformed JSON.
/// </summary>
internal static class ChatRecordParser
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    public static ParsedRecord? Parse(ReadOnlySpan<byte> json, long line, List<Problem> problems)
    {
        var reader = new Utf8JsonReader(json, JsonValues.ReaderOptions);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            problems.Add(Problem.Error(line, "", ProblemCodes.NotObject,
                $"a line must be a JSON object, not {JsonValues.Describe(reader.TokenType)}", Excerpts.OfBytes(json)));
            reader.Skip();
            return null;
        }

        List<ChatMessage>? messages = null;
        List<string>? seen = null;
        var ok = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("messages"u8))
            {
                if (JsonValues.SeenBefore(ref seen, "messages"))
                {
                    problems.Add(Problem.Error(line, "messages", ProblemCodes.DuplicateKey, "the key \"messages\" appears twice"));
                    ok = false;
                }
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                    ok &= ReadMessages(ref reader, json, line, "messages", RoleNaming.Chat, messages = new List<ChatMessage>(4), problems);
                else
                {
                    problems.Add(Problem.Error(line, "messages", ProblemCodes.MessagesNotArray,
                        $"\"messages\" must be an array, not {JsonValues.Describe(reader.TokenType)}"));
                    reader.Skip();
                    ok = false;
                }
            }
            else
            {
                var name = JsonValues.GetString(ref reader)!;
                if (JsonValues.SeenBefore(ref seen, name))
                    problems.Add(Problem.Error(line, name, ProblemCodes.DuplicateKey, $"the key \"{Excerpts.Of(name, 40)}\" appears twice"));
                else
                    problems.Add(Problem.Warning(line, name, ProblemCodes.UnknownKey, $"unknown key \"{Excerpts.Of(name, 40)}\" is ignored"));
                JsonValues.SkipValue(ref reader, json);
            }
        }
        while (reader.Read()) { }   // trailing content after the object throws

        if (messages is null && (seen is null || !seen.Contains("messages")))
        {
            problems.Add(Problem.Error(line, "messages", ProblemCodes.MissingMessages,
                "no \"messages\" array" + FormatHint(seen), Excerpts.OfBytes(json)));
            return null;
        }
        return ok && messages is not null ? new ParsedRecord(new ChatExample(messages), ParsedRecord.ChatPath) : null;
    }

    private static string FormatHint(List<string>? keys) =>
        keys is null ? "" :
        keys.Contains("conversations") ? " (this looks like ShareGPT: use --format sharegpt)" :
        keys.Contains("instruction") ? " (this looks like Alpaca: use --format alpaca)" : "";

    /// <summary>
    /// Reads an array of role/content objects (the reader is on StartArray). Returns false when any
    /// message is malformed; <paramref name="messages"/> then holds only the well-formed ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    internal static bool ReadMessages(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, long line, string arrayPath, RoleNaming naming,
        List<ChatMessage> messages, List<Problem> problems)
    {
        var ok = true;
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                problems.Add(Problem.Error(line, $"{arrayPath}[{index}]", ProblemCodes.MessageNotObject,
                    $"each message must be an object, not {JsonValues.Describe(reader.TokenType)}"));
                reader.Skip();
                ok = false;
            }
            else if (ReadMessage(ref reader, json, line, arrayPath, index, naming, problems) is { } message)
                messages.Add(message);
            else
                ok = false;
            index++;
        }
        return ok;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot: skip tier-0 in one-shot runs
    private static ChatMessage? ReadMessage(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, long line, string arrayPath, int index, RoleNaming naming, List<Problem> problems)
    {
        string P() => $"{arrayPath}[{index}]";   // built only when there is a problem to report
        string? role = null, content = null;
        bool sawRole = false, sawContent = false, ok = true;
        List<string>? others = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (naming.IsRoleKey(ref reader))
            {
                if (sawRole) { Duplicate(line, P(), naming.RoleKey, problems); ok = false; }
                sawRole = true;
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                    role = naming.MapRole(ref reader);
                else
                {
                    problems.Add(Problem.Error(line, $"{P()}.{naming.RoleKey}", ProblemCodes.RoleNotString,
                        $"\"{naming.RoleKey}\" must be a string, not {JsonValues.Describe(reader.TokenType)}"));
                    reader.Skip();
                    ok = false;
                }
            }
            else if (naming.IsContentKey(ref reader))
            {
                if (sawContent) { Duplicate(line, P(), naming.ContentKey, problems); ok = false; }
                sawContent = true;
                content = JsonValues.ReadString(ref reader, out var type);
                if (content is null)
                {
                    problems.Add(Problem.Error(line, $"{P()}.{naming.ContentKey}", ProblemCodes.ContentNotString,
                        $"\"{naming.ContentKey}\" must be a string, not {JsonValues.Describe(type)}"));
                    ok = false;
                }
            }
            else
            {
                var name = JsonValues.GetString(ref reader)!;
                if (JsonValues.SeenBefore(ref others, name)) { Duplicate(line, P(), name, problems); ok = false; }
                else
                    problems.Add(Problem.Warning(line, $"{P()}.{name}", ProblemCodes.UnknownKey,
                        $"unknown key \"{Excerpts.Of(name, 40)}\" in a message is ignored"));
                JsonValues.SkipValue(ref reader, json);
            }
        }
        if (!sawRole)
        {
            problems.Add(Problem.Error(line, $"{P()}.{naming.RoleKey}", ProblemCodes.MissingRole, $"the message has no \"{naming.RoleKey}\""));
            ok = false;
        }
        if (!sawContent)
        {
            problems.Add(Problem.Error(line, $"{P()}.{naming.ContentKey}", ProblemCodes.MissingContent, $"the message has no \"{naming.ContentKey}\""));
            ok = false;
        }
        return ok && role is not null && content is not null ? new ChatMessage(role, content) : null;
    }

    private static void Duplicate(long line, string path, string key, List<Problem> problems) =>
        problems.Add(Problem.Error(line, $"{path}.{key}", ProblemCodes.DuplicateKey, $"the key \"{key}\" appears twice in one message"));
}
