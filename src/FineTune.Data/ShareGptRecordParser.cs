using System.Text.Json;

namespace FineTune.Data;

/// <summary>
/// Parses one ShareGPT record: <c>conversations</c> [{from, value}] with human/gpt/system (or the
/// messages-style variant <c>messages</c> [{role, content}]), and an optional top-level <c>system</c>
/// that becomes the first message, as in LLaMA-Factory. Tool turns (function_call, observation) are
/// not supported and are reported by <see cref="ChatRules"/> as <c>invalid_role</c>.
/// </summary>
internal static class ShareGptRecordParser
{
    public static ParsedRecord? Parse(ReadOnlySpan<byte> json, long line, List<Problem> problems)
    {
        var reader = new Utf8JsonReader(json, JsonValues.ReaderOptions);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            problems.Add(Problem.Error(line, "", ProblemCodes.NotObject,
                $"a record must be a JSON object, not {JsonValues.Describe(reader.TokenType)}", Excerpts.OfBytes(json)));
            reader.Skip();
            return null;
        }

        string? system = null, arrayKey = null;
        List<ChatMessage>? turns = null;
        List<string>? seen = null;
        var ok = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = JsonValues.GetString(ref reader)!;
            if (JsonValues.SeenBefore(ref seen, name))
            {
                problems.Add(Problem.Error(line, name, ProblemCodes.DuplicateKey, $"the key \"{Excerpts.Of(name, 40)}\" appears twice"));
                ok = false;
            }
            if (name is "conversations" or "messages")
            {
                arrayKey = name;
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                    ok &= ChatRecordParser.ReadMessages(ref reader, json, line, name,
                        name == "conversations" ? RoleNaming.ShareGpt : RoleNaming.ShareGptMessages, turns = new List<ChatMessage>(4), problems);
                else
                {
                    problems.Add(Problem.Error(line, name, ProblemCodes.ConversationsNotArray,
                        $"\"{name}\" must be an array, not {JsonValues.Describe(reader.TokenType)}"));
                    reader.Skip();
                    ok = false;
                }
            }
            else if (name == "system")
            {
                system = JsonValues.ReadString(ref reader, out var type);
                if (system is null && type != JsonTokenType.Null)
                {
                    problems.Add(Problem.Error(line, name, ProblemCodes.FieldNotString, $"\"system\" must be a string, not {JsonValues.Describe(type)}"));
                    ok = false;
                }
            }
            else
            {
                problems.Add(Problem.Warning(line, name, ProblemCodes.UnknownKey, $"unknown key \"{Excerpts.Of(name, 40)}\" is ignored"));
                JsonValues.SkipValue(ref reader, json);
            }
        }
        while (reader.Read()) { }

        if (arrayKey is null)
        {
            problems.Add(Problem.Error(line, "conversations", ProblemCodes.MissingConversations,
                "a ShareGPT record needs a \"conversations\" array", Excerpts.OfBytes(json)));
            return null;
        }
        if (!ok || turns is null) return null;

        var key = arrayKey;
        var field = key == "conversations" ? ("from", "value") : ("role", "content");
        if (string.IsNullOrEmpty(system))
            return new ParsedRecord(new ChatExample(turns), (i, f) => $"{key}[{i}].{(f == "role" ? field.Item1 : field.Item2)}");
        turns.Insert(0, new ChatMessage(ChatRoles.System, system));
        return new ParsedRecord(new ChatExample(turns),
            (i, f) => i == 0 ? "system" : $"{key}[{i - 1}].{(f == "role" ? field.Item1 : field.Item2)}");
    }
}
