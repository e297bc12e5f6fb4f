using System.Text.Json;

namespace FineTune.Host.Serving;

/// <summary>
/// Reads a chat-completions body as OpenAI does: unknown fields are ignored, known ones are type- and range-checked,
/// sampling (temperature, top_p, seed, frequency_penalty, presence_penalty, logit_bias) is applied as OpenAI defines it,
/// and anything this server cannot honour (n &gt; 1, tools, logprobs, non-text content) is a 400 naming the parameter.
/// </summary>
public static class ChatRequestParser
{
    public const int MaxStopSequences = 4;

    public static ChatCompletionRequest Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw OpenAiError.Invalid("The request body must be a JSON object.", null);
        var model = body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 } s
            ? s : throw OpenAiError.Invalid("'model' is required: a model id from GET /v1/models.", "model");
        if (Optional(body, "n") is { } n && (n.ValueKind != JsonValueKind.Number || !n.TryGetInt32(out var count) || count != 1))
            throw OpenAiError.Invalid("Only n = 1 is supported.", "n", "unsupported_parameter");
        if (Optional(body, "logprobs") is { ValueKind: JsonValueKind.True })
            throw OpenAiError.Invalid("logprobs are not supported.", "logprobs", "unsupported_parameter");
        if (Optional(body, "tools") is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0)
            throw OpenAiError.Invalid("tools are not supported.", "tools", "unsupported_parameter");
        if (Optional(body, "response_format") is { } format && !(format.ValueKind == JsonValueKind.Object
                && format.TryGetProperty("type", out var ft) && ft.ValueKind == JsonValueKind.String && ft.GetString() == "text"))
            throw OpenAiError.Invalid("Only response_format {\"type\": \"text\"} is supported.", "response_format", "unsupported_parameter");

        var stream = Bool(body, "stream") ?? false;
        var includeUsage = false;
        if (Optional(body, "stream_options") is { } so)
        {
            if (!stream) throw OpenAiError.Invalid("stream_options is only allowed when stream is true.", "stream_options");
            if (so.ValueKind != JsonValueKind.Object) throw OpenAiError.Invalid("stream_options must be an object.", "stream_options");
            includeUsage = Bool(so, "include_usage", "stream_options.include_usage") ?? false;
        }
        var maxTokens = Int(body, "max_completion_tokens") ?? Int(body, "max_tokens");
        if (maxTokens is < 1)
            throw OpenAiError.Invalid($"max_completion_tokens must be at least 1 (got {maxTokens}).", Optional(body, "max_completion_tokens") is null ? "max_tokens" : "max_completion_tokens");
        var temperature = Number(body, "temperature") ?? 1.0;
        if (temperature is < 0 or > 2) throw OpenAiError.Invalid($"temperature must be between 0 and 2 (got {temperature}).", "temperature");
        var topP = Number(body, "top_p") ?? 1.0;
        if (!(topP > 0 && topP <= 1)) throw OpenAiError.Invalid($"top_p must be in (0, 1] (got {topP}).", "top_p");
        long? seed = null;
        if (Optional(body, "seed") is { } sd)
            seed = sd.ValueKind == JsonValueKind.Number && sd.TryGetInt64(out var v) ? v : throw OpenAiError.Invalid("seed must be an integer.", "seed");

        var frequency = Number(body, "frequency_penalty") ?? 0;
        if (frequency is < -2 or > 2) throw OpenAiError.Invalid($"frequency_penalty must be between -2 and 2 (got {frequency}).", "frequency_penalty");
        var presence = Number(body, "presence_penalty") ?? 0;
        if (presence is < -2 or > 2) throw OpenAiError.Invalid($"presence_penalty must be between -2 and 2 (got {presence}).", "presence_penalty");

        return new ChatCompletionRequest
        {
            Model = model,
            Messages = Messages(body),
            Stream = stream,
            IncludeUsage = includeUsage,
            MaxTokens = maxTokens,
            Temperature = temperature,
            TopP = topP,
            Seed = seed,
            Stop = Stop(body),
            FrequencyPenalty = frequency,
            PresencePenalty = presence,
            LogitBias = LogitBias(body),
        };
    }

    private static List<(string, string)> Messages(JsonElement body)
    {
        if (Optional(body, "messages") is not { ValueKind: JsonValueKind.Array } messages)
            throw OpenAiError.Invalid("'messages' is required: an array of {role, content}.", "messages");
        if (messages.GetArrayLength() == 0) throw OpenAiError.Invalid("'messages' must hold at least one message.", "messages", "empty_array");
        var list = new List<(string, string)>();
        int i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var at = $"messages[{i}]";
            if (message.ValueKind != JsonValueKind.Object) throw OpenAiError.Invalid($"{at} must be an object.", at);
            var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : null;
            role = role switch
            {
                "system" or "user" or "assistant" => role,
                "developer" => "system",
                null => throw OpenAiError.Invalid($"{at}.role is required.", $"{at}.role"),
                _ => throw OpenAiError.Invalid($"{at}.role '{role}' is not supported: use system, developer, user or assistant.", $"{at}.role"),
            };
            list.Add((role, Content(message, at)));
            i++;
        }
        return list;
    }

    /// <summary>A string, or an array of text parts (joined); null only for assistant turns.</summary>
    private static string Content(JsonElement message, string at)
    {
        if (!message.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null)
            throw OpenAiError.Invalid($"{at}.content is required.", $"{at}.content");
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array) throw OpenAiError.Invalid($"{at}.content must be a string or an array of text parts.", $"{at}.content");
        var text = new System.Text.StringBuilder();
        int j = 0;
        foreach (var part in c.EnumerateArray())
        {
            var p = $"{at}.content[{j++}]";
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
                throw OpenAiError.Invalid($"{p} must be an object with a type.", $"{p}.type");
            if (t.GetString() != "text") throw OpenAiError.Invalid($"{p}.type '{t.GetString()}' is not supported: only text parts.", $"{p}.type");
            if (!part.TryGetProperty("text", out var tx) || tx.ValueKind != JsonValueKind.String)
                throw OpenAiError.Invalid($"{p}.text must be a string.", $"{p}.text");
            text.Append(tx.GetString());
        }
        return text.ToString();
    }

    private static IReadOnlyList<string> Stop(JsonElement body)
    {
        var stop = Optional(body, "stop");
        if (stop is null) return [];
        if (stop.Value.ValueKind == JsonValueKind.String) return NonEmpty([stop.Value.GetString()!]);
        if (stop.Value.ValueKind != JsonValueKind.Array || stop.Value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            throw OpenAiError.Invalid("stop must be a string or an array of strings.", "stop");
        if (stop.Value.GetArrayLength() > MaxStopSequences) throw OpenAiError.Invalid($"stop takes at most {MaxStopSequences} sequences.", "stop");
        return NonEmpty(stop.Value.EnumerateArray().Select(e => e.GetString()!).ToArray());

        static string[] NonEmpty(string[] s) =>
            s.Any(x => x.Length == 0) ? throw OpenAiError.Invalid("stop sequences must not be empty.", "stop") : s;
    }

    /// <summary>logit_bias: an object of token id (as a string) → number in [-100, 100].</summary>
    private static Dictionary<int, double>? LogitBias(JsonElement body)
    {
        if (Optional(body, "logit_bias") is not { } lb) return null;
        if (lb.ValueKind != JsonValueKind.Object) throw OpenAiError.Invalid("logit_bias must be an object of token id → bias.", "logit_bias");
        var bias = new Dictionary<int, double>();
        foreach (var p in lb.EnumerateObject())
        {
            if (!int.TryParse(p.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                throw OpenAiError.Invalid($"logit_bias key '{p.Name}' is not a token id.", "logit_bias");
            if (p.Value.ValueKind != JsonValueKind.Number || p.Value.GetDouble() is < -100 or > 100)
                throw OpenAiError.Invalid($"logit_bias[{p.Name}] must be a number between -100 and 100.", "logit_bias");
            bias[id] = p.Value.GetDouble();
        }
        return bias;
    }

    private static JsonElement? Optional(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static bool? Bool(JsonElement obj, string name, string? param = null) => Optional(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw OpenAiError.Invalid($"{param ?? name} must be a boolean.", param ?? name),
    };

    private static double? Number(JsonElement obj, string name) => Optional(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
        _ => throw OpenAiError.Invalid($"{name} must be a number.", name),
    };

    private static int? Int(JsonElement obj, string name) => Optional(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt32(out var i) => i,
        _ => throw OpenAiError.Invalid($"{name} must be an integer.", name),
    };
}
