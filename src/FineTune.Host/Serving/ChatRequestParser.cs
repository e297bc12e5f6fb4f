using System.Text.Json;
using System.Text.RegularExpressions;

namespace FineTune.Host.Serving;

/// <summary>
/// Reads a chat-completions body as OpenAI does: unknown fields are ignored, known ones are type- and range-checked,
/// sampling (temperature, top_p, seed, frequency_penalty, presence_penalty, logit_bias) is applied as OpenAI defines it,
/// and anything this server cannot honour (n &gt; 1, tools, logprobs, non-text content) is a 400 naming the parameter.
/// The body is deserialized into <see cref="ChatCompletionBody"/> (source-generated); a value of the wrong type is a
/// 400 naming its path (<c>messages[1].content</c>).
/// </summary>
public static partial class ChatRequestParser
{
    public const int MaxStopSequences = 4;

    public static ChatCompletionRequest Parse(ReadOnlySpan<byte> utf8)
    {
        var body = Read(utf8);
        var model = body.Model is { Length: > 0 } s ? s : throw OpenAiError.Invalid("'model' is required: a model id from GET /v1/models.", "model");
        if (body.N is { } n && n != 1) throw OpenAiError.Invalid("Only n = 1 is supported.", "n", "unsupported_parameter");
        if (body.Logprobs == true) throw OpenAiError.Invalid("logprobs are not supported.", "logprobs", "unsupported_parameter");
        if (body.Tools is { Count: > 0 }) throw OpenAiError.Invalid("tools are not supported.", "tools", "unsupported_parameter");
        if (body.ResponseFormat is { } format && format.Type != "text")
            throw OpenAiError.Invalid("Only response_format {\"type\": \"text\"} is supported.", "response_format", "unsupported_parameter");

        var stream = body.Stream ?? false;
        if (body.StreamOptions is not null && !stream)
            throw OpenAiError.Invalid("stream_options is only allowed when stream is true.", "stream_options");
        var maxTokens = body.MaxCompletionTokens ?? body.MaxTokens;
        if (maxTokens is < 1)
            throw OpenAiError.Invalid($"max_completion_tokens must be at least 1 (got {maxTokens}).", body.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens");
        var temperature = body.Temperature ?? 1.0;
        if (temperature is < 0 or > 2) throw OpenAiError.Invalid($"temperature must be between 0 and 2 (got {temperature}).", "temperature");
        var topP = body.TopP ?? 1.0;
        if (!(topP > 0 && topP <= 1)) throw OpenAiError.Invalid($"top_p must be in (0, 1] (got {topP}).", "top_p");

        var frequency = body.FrequencyPenalty ?? 0;
        if (frequency is < -2 or > 2) throw OpenAiError.Invalid($"frequency_penalty must be between -2 and 2 (got {frequency}).", "frequency_penalty");
        var presence = body.PresencePenalty ?? 0;
        if (presence is < -2 or > 2) throw OpenAiError.Invalid($"presence_penalty must be between -2 and 2 (got {presence}).", "presence_penalty");

        return new ChatCompletionRequest
        {
            Model = model,
            Messages = Messages(body.Messages),
            Stream = stream,
            IncludeUsage = body.StreamOptions?.IncludeUsage ?? false,
            MaxTokens = maxTokens,
            Temperature = temperature,
            TopP = topP,
            Seed = body.Seed,
            Stop = Stop(body.Stop),
            FrequencyPenalty = frequency,
            PresencePenalty = presence,
            LogitBias = LogitBias(body.LogitBias),
        };
    }

    /// <summary>Malformed JSON is one 400; well-formed JSON with a value of the wrong type is a 400 naming that value.</summary>
    private static ChatCompletionBody Read(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            while (reader.Read()) { }
        }
        catch (JsonException e)
        {
            throw OpenAiError.Invalid($"The body is not valid JSON: {e.Message}", null);
        }
        try
        {
            return JsonSerializer.Deserialize(utf8, ServingJsonContext.Default.ChatCompletionBody)
                ?? throw OpenAiError.Invalid("The request body must be a JSON object.", null);
        }
        catch (JsonException e)
        {
            var param = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
            if (param is null) throw OpenAiError.Invalid("The request body must be a JSON object.", null);
            var expected = Expected.GetValueOrDefault(Index().Replace(param, "[]"), "of another type");
            throw OpenAiError.Invalid($"{param} must be {expected}.", param);
        }
    }

    /// <summary>What each field must be, by its path with indices as [].</summary>
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["model"] = "a string",
        ["messages"] = "an array of {role, content}",
        ["messages[]"] = "an object",
        ["messages[].role"] = "a string",
        ["messages[].content"] = "a string or an array of text parts",
        ["n"] = "an integer",
        ["logprobs"] = "a boolean",
        ["tools"] = "an array",
        ["response_format"] = "an object",
        ["response_format.type"] = "a string",
        ["stream"] = "a boolean",
        ["stream_options"] = "an object",
        ["stream_options.include_usage"] = "a boolean",
        ["max_completion_tokens"] = "an integer",
        ["max_tokens"] = "an integer",
        ["temperature"] = "a number",
        ["top_p"] = "a number",
        ["seed"] = "an integer",
        ["stop"] = "a string or an array of strings",
    };

    [GeneratedRegex(@"\[\d+\]")]
    private static partial Regex Index();

    private static List<(string, string)> Messages(List<ChatMessageBody?>? messages)
    {
        if (messages is null) throw OpenAiError.Invalid("'messages' is required: an array of {role, content}.", "messages");
        if (messages.Count == 0) throw OpenAiError.Invalid("'messages' must hold at least one message.", "messages", "empty_array");
        var list = new List<(string, string)>();
        for (int i = 0; i < messages.Count; i++)
        {
            var at = $"messages[{i}]";
            var message = messages[i] ?? throw OpenAiError.Invalid($"{at} must be an object.", at);
            var role = message.Role switch
            {
                "system" or "user" or "assistant" => message.Role,
                "developer" => "system",
                null => throw OpenAiError.Invalid($"{at}.role is required.", $"{at}.role"),
                var other => throw OpenAiError.Invalid($"{at}.role '{other}' is not supported: use system, developer, user or assistant.", $"{at}.role"),
            };
            list.Add((role, Content(message.Content, at)));
        }
        return list;
    }

    /// <summary>A string, or an array of text parts (joined).</summary>
    private static string Content(MessageContent? content, string at)
    {
        if (content is null) throw OpenAiError.Invalid($"{at}.content is required.", $"{at}.content");
        if (content.Text is { } text) return text;
        var joined = new System.Text.StringBuilder();
        for (int j = 0; j < content.Parts!.Count; j++)
        {
            var p = $"{at}.content[{j}]";
            var part = content.Parts[j];
            if (part?.Type is not { } type) throw OpenAiError.Invalid($"{p} must be an object with a type.", $"{p}.type");
            if (type != "text") throw OpenAiError.Invalid($"{p}.type '{type}' is not supported: only text parts.", $"{p}.type");
            joined.Append(part.Text ?? throw OpenAiError.Invalid($"{p}.text must be a string.", $"{p}.text"));
        }
        return joined.ToString();
    }

    private static IReadOnlyList<string> Stop(string[]? stop)
    {
        if (stop is null) return [];
        if (stop.Length > MaxStopSequences) throw OpenAiError.Invalid($"stop takes at most {MaxStopSequences} sequences.", "stop");
        if (stop.Any(s => s.Length == 0)) throw OpenAiError.Invalid("stop sequences must not be empty.", "stop");
        return stop;
    }

    /// <summary>logit_bias: an object of token id (as a string) → number in [-100, 100].</summary>
    private static Dictionary<int, double>? LogitBias(Dictionary<string, double>? logitBias)
    {
        if (logitBias is null) return null;
        var bias = new Dictionary<int, double>();
        foreach (var (key, value) in logitBias)
        {
            if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                throw OpenAiError.Invalid($"logit_bias key '{key}' is not a token id.", "logit_bias");
            if (value is < -100 or > 100 || double.IsNaN(value))
                throw OpenAiError.Invalid($"logit_bias[{key}] must be a number between -100 and 100.", "logit_bias");
            bias[id] = value;
        }
        return bias;
    }
}
