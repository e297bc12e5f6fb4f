using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FineTune.Host.Hosting;

/// <summary>
/// The rate limit on job submissions (ASP.NET Core's rate limiter, one fixed window for all callers): at most
/// <see cref="RequestLimits.JobSubmissions"/> per <see cref="RequestLimits.JobSubmissionWindow"/>; the next is answered 429
/// with Retry-After (the time until the window opens again) in the job API's ProblemDetails shape. Nothing queues.
/// </summary>
public static class JobSubmissionLimit
{
    public const string Policy = "job-submissions";

    public static IServiceCollection AddJobSubmissionLimit(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RequestLimits>>((o, limits) =>
        {
            o.AddFixedWindowLimiter(Policy, w =>
            {
                w.PermitLimit = limits.Value.JobSubmissions;
                w.Window = limits.Value.JobSubmissionWindow;
                w.QueueLimit = 0;
            });
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (context, _) => RejectAsync(context.HttpContext, context.Lease, limits.Value);
        });
        return services;
    }

    private static async ValueTask RejectAsync(HttpContext http, RateLimitLease lease, RequestLimits limits)
    {
        var after = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : limits.JobSubmissionWindow;
        var seconds = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many job submissions",
            detail: $"this host takes {limits.JobSubmissions} submissions per {limits.JobSubmissionWindow} (Limits:JobSubmissions, Limits:JobSubmissionWindow); retry after {seconds} s")
            .ExecuteAsync(http);
    }
}
