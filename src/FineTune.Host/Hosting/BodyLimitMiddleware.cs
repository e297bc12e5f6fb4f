using FineTune.Host.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace FineTune.Host.Hosting;

/// <summary>
/// Caps each request body at its endpoint's <see cref="BodyLimit"/> before the endpoint reads it: a Content-Length over the
/// limit is answered 413 without reading a byte, and Kestrel's per-request limit is lowered to it, so a chunked body fails
/// as soon as it passes the limit (Kestrel throws; this answers 413). Errors in OpenAI's shape on /v1, ProblemDetails elsewhere.
/// </summary>
public sealed class BodyLimitMiddleware(RequestDelegate next, IOptions<RequestLimits> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var rule = context.GetEndpoint()?.Metadata.GetMetadata<BodyLimit>()
            ?? (context.Request.Path.StartsWithSegments("/v1") ? BodyLimit.Chat : BodyLimit.Api);
        var multipart = context.Request.ContentType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) == true;
        if (rule.For(options.Value, multipart) is not { } limit)
        {
            await next(context);
            return;
        }
        var (bytes, setting) = limit;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = bytes;
        if (context.Request.ContentLength > bytes)
        {
            await TooLargeAsync(context, bytes, setting);
            return;
        }
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
        {
            await TooLargeAsync(context, bytes, setting);
        }
    }

    private static Task TooLargeAsync(HttpContext context, long bytes, string setting)
    {
        // The rest of the body is not read: the connection closes after the answer.
        context.Response.Headers.Connection = "close";
        var message = $"The request body is larger than this endpoint takes ({bytes} bytes, {setting}).";
        if (context.Request.Path.StartsWithSegments("/v1"))
            return new OpenAiError(StatusCodes.Status413PayloadTooLarge, message, "invalid_request_error", null, "request_too_large")
                .WriteAsync(context.Response, context.RequestAborted);
        return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large", detail: message).ExecuteAsync(context);
    }
}
