using System.ClientModel;
using System.Globalization;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace FineTune.Synthesis;

/// <summary>
/// Which failures are worth another attempt (429, 408, 5xx, timeouts, dropped connections, an open circuit) and how
/// long the server asked us to wait. Everything else (400, 401, 403, 404 …) is a fault that retrying cannot fix.
/// </summary>
public static class TransientFaults
{
    public static bool IsTransient(Exception? exception, CancellationToken callerToken) => exception switch
    {
        null => false,
        OperationCanceledException when callerToken.IsCancellationRequested => false,
        TimeoutRejectedException or BrokenCircuitException => true,
        ClientResultException e => e.Status is 0 or 408 or 429 or >= 500,
        HttpRequestException or IOException or OperationCanceledException => true,
        _ => false,
    };

    /// <summary>Faults that mean the job is misconfigured (bad key, no access, unknown model or URL): stop at once.</summary>
    public static bool IsFatal(Exception exception) => exception is ClientResultException { Status: 401 or 403 or 404 };

    /// <summary>The wait the server asked for (retry-after-ms, x-ms-retry-after-ms, or Retry-After in seconds or as an
    /// HTTP date), or the remaining break of an open circuit; null when there is none, so backoff applies.</summary>
    public static TimeSpan? RetryAfter(Exception? exception, TimeProvider time)
    {
        if (exception is BrokenCircuitException { RetryAfter: { } remaining })
            return remaining;
        var response = (exception as ClientResultException)?.GetRawResponse();
        if (response is null)
            return null;
        foreach (var header in new[] { "retry-after-ms", "x-ms-retry-after-ms" })
            if (response.Headers.TryGetValue(header, out var ms)
                && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
                return TimeSpan.FromMilliseconds(milliseconds);
        if (!response.Headers.TryGetValue("Retry-After", out var value) || string.IsNullOrWhiteSpace(value))
            return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            return TimeSpan.FromSeconds(seconds);
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    /// <summary>A short name for a failure, for counts in the report: "429", "500", "timeout", "network", "circuit_open".</summary>
    public static string Describe(Exception exception) => exception switch
    {
        TimeoutRejectedException => "timeout",
        BrokenCircuitException => "circuit_open",
        ClientResultException { Status: > 0 } e => e.Status.ToString(CultureInfo.InvariantCulture),
        ClientResultException or HttpRequestException or IOException => "network",
        OperationCanceledException => "timeout",
        _ => exception.GetType().Name,
    };
}
