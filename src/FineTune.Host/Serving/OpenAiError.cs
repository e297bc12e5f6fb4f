using Microsoft.AspNetCore.Http;

namespace FineTune.Host.Serving;

/// <summary>
/// An expected failure of an OpenAI-compatible request, answered as <c>{"error": {"message", "type", "param", "code"}}</c>
/// with its status code (and Retry-After on 429).
/// </summary>
public sealed class OpenAiError(int status, string message, string type, string? param = null, string? code = null, TimeSpan? retryAfter = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public static OpenAiError Invalid(string message, string? param, string? code = null) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", param, code);

    public static OpenAiError ModelNotFound(string model) =>
        new(StatusCodes.Status404NotFound, $"The model '{model}' does not exist. GET /v1/models lists the served ones.", "invalid_request_error", "model", "model_not_found");

    public static OpenAiError BaseModelMismatch(string model, string reason) =>
        new(StatusCodes.Status404NotFound, $"The model '{model}' is not served: {reason}.", "invalid_request_error", "model", "base_model_mismatch");

    public static OpenAiError Overloaded(TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, "The server has too many requests queued; retry after the time in the Retry-After header.",
            "rate_limit_error", null, "rate_limit_exceeded", retryAfter);

    public static OpenAiError Server(string message) =>
        new(StatusCodes.Status500InternalServerError, message, "server_error", null, "server_error");

    /// <summary>The error object as a stream event carries it (mid-stream, after the 200 is sent).</summary>
    internal string ToJson() => Json.Text(Body, ServingJsonContext.Default.ErrorResponseObject);

    private ErrorResponseObject Body => new(new ErrorObject(Message, Type, Param, Code));

    public async Task WriteAsync(HttpResponse response, CancellationToken ct)
    {
        response.StatusCode = Status;
        response.ContentType = "application/json";
        if (RetryAfter is { } after)
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await response.Body.WriteAsync(Json.Bytes(Body, ServingJsonContext.Default.ErrorResponseObject), ct);
    }
}
