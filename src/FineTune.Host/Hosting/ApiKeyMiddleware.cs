using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace FineTune.Host.Hosting;

/// <summary>Marks an endpoint that needs no API key (the readiness probe, Functions host invocations).</summary>
public sealed class NoApiKey
{
    public static NoApiKey Instance { get; } = new();
}

/// <summary>
/// When API keys are configured, every request must carry one in the <c>x-functions-key</c> header or the <c>code</c>
/// query parameter (the Functions conventions) or as <c>Authorization: Bearer</c> (OpenAI clients), except endpoints marked <see cref="NoApiKey"/>. Keys are compared in
/// constant time and never logged.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, HostSettings settings)
{
    private readonly byte[][] _keys = settings.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k))).ToArray();

    public async Task InvokeAsync(HttpContext context)
    {
        if (_keys.Length == 0 || context.GetEndpoint()?.Metadata.GetMetadata<NoApiKey>() is not null)
        {
            await next(context);
            return;
        }
        var given = context.Request.Headers["x-functions-key"].FirstOrDefault() ?? context.Request.Query["code"].FirstOrDefault()
            ?? Bearer(context.Request.Headers.Authorization.FirstOrDefault());
        var hash = given is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(given));
        if (hash is null || !_keys.Any(k => CryptographicOperations.FixedTimeEquals(k, hash)))
        {
            await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "API key required",
                detail: "send a key in the x-functions-key header or the code query parameter").ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    /// <summary>OpenAI SDK clients send the key as "Authorization: Bearer KEY"; it is accepted too.</summary>
    private static string? Bearer(string? authorization) =>
        authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
}
