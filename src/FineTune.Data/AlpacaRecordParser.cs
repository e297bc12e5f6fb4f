using System.Text.Json;

namespace FineTune.Data;

/// <summary>
/// Parses one Alpaca record: <c>instruction</c> (required), <c>input</c>, <c>output</c> (required),
/// <c>system</c>, <c>history</c> [[query, answer], …]. As LLaMA-Factory does, the user turn is
/// instruction and input joined by a newline (input left out when empty); history pairs come first.
/// </summary>
internal static class AlpacaRecordParser
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

        string? instruction = null, input = null, output = null, system = null;
        List<(string Query, string Answer)>? history = null;
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
            switch (name)
            {
                case "instruction": ok &= ReadField(ref reader, line, name, problems, ref instruction); break;
                case "input": ok &= ReadField(ref reader, line, name, problems, ref input, nullable: true); break;
                case "output": ok &= ReadField(ref reader, line, name, problems, ref output); break;
                case "system": ok &= ReadField(ref reader, line, name, problems, ref system, nullable: true); break;
                case "history": ok &= ReadHistory(ref reader, line, problems, out history); break;
                default:
                    problems.Add(Problem.Warning(line, name, ProblemCodes.UnknownKey, $"unknown key \"{Excerpts.Of(name, 40)}\" is ignored"));
                    JsonValues.SkipValue(ref reader, json);
                    break;
            }
        }
        while (reader.Read()) { }

        foreach (var required in (ReadOnlySpan<string>)["instruction", "output"])
            if (seen is null || !seen.Contains(required))
            {
                problems.Add(Problem.Error(line, required, ProblemCodes.MissingField,
                    $"an Alpaca record needs \"{required}\"", Excerpts.OfBytes(json)));
                ok = false;
            }
        if (!ok) return null;

        var messages = new List<ChatMessage>(4 + 2 * (history?.Count ?? 0));
        var paths = new List<string>(messages.Capacity);
        if (!string.IsNullOrEmpty(system)) { messages.Add(new(ChatRoles.System, system)); paths.Add("system"); }
        for (var i = 0; history is not null && i < history.Count; i++)
        {
            messages.Add(new(ChatRoles.User, history[i].Query)); paths.Add($"history[{i}][0]");
            messages.Add(new(ChatRoles.Assistant, history[i].Answer)); paths.Add($"history[{i}][1]");
        }
        messages.Add(new(ChatRoles.User, string.IsNullOrEmpty(input) ? instruction! : instruction + "\n" + input));
        paths.Add("instruction");
        messages.Add(new(ChatRoles.Assistant, output!));
        paths.Add("output");
        return new ParsedRecord(new ChatExample(messages), (i, _) => paths[i]);
    }

    private static bool ReadField(ref Utf8JsonReader reader, long line, string name, List<Problem> problems, ref string? value, bool nullable = false)
    {
        value = JsonValues.ReadString(ref reader, out var type);
        if (value is not null || (nullable && type == JsonTokenType.Null)) return true;
        problems.Add(Problem.Error(line, name, ProblemCodes.FieldNotString, $"\"{name}\" must be a string, not {JsonValues.Describe(type)}"));
        return false;
    }

    private static bool ReadHistory(ref Utf8JsonReader reader, long line, List<Problem> problems, out List<(string, string)>? history)
    {
        history = null;
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            problems.Add(Problem.Error(line, "history", ProblemCodes.InvalidHistory,
                $"\"history\" must be an array of [query, answer] pairs, not {JsonValues.Describe(reader.TokenType)}"));
            reader.Skip();
            return false;
        }
        history = new List<(string, string)>();
        var ok = true;
        for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
        {
            string? query = null, answer = null;
            var count = 0;
            if (reader.TokenType == JsonTokenType.StartArray)
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var text = reader.TokenType == JsonTokenType.String ? JsonValues.GetString(ref reader) : null;
                    if (text is null) reader.Skip();
                    if (count == 0) query = text; else if (count == 1) answer = text;
                    count++;
                }
            else
                reader.Skip();
            if (count == 2 && query is not null && answer is not null)
                history.Add((query, answer));
            else
            {
                problems.Add(Problem.Error(line, $"history[{i}]", ProblemCodes.InvalidHistory,
                    "each history item must be a [query, answer] pair of two strings"));
                ok = false;
            }
        }
        return ok;
    }
}
