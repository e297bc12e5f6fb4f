namespace FineTune.Synthesis;

/// <summary>
/// How requests to the model survive a real service: retries with exponential backoff and jitter (or the server's
/// Retry-After), a circuit breaker that pauses everyone when most calls fail, a timeout per attempt, and at most
/// <see cref="MaxConcurrency"/> requests in flight. Tests shorten the delays here rather than sleeping.
/// </summary>
public sealed record ResilienceOptions
{
    public int MaxRetries { get; init; } = 6;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>A server's Retry-After longer than this is cut to it.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>One attempt (request and full response) may take this long.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromMinutes(3);
    public int MaxConcurrency { get; init; } = 4;

    public double BreakerFailureRatio { get; init; } = 0.5;
    public int BreakerMinimumThroughput { get; init; } = 8;
    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Clock for delays, timeouts and the breaker.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public ResilienceOptions Validated()
    {
        if (MaxRetries < 0) throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "must not be negative");
        if (MaxConcurrency < 1) throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "must be at least 1");
        if (BaseDelay <= TimeSpan.Zero || MaxDelay < BaseDelay)
            throw new ArgumentOutOfRangeException(nameof(BaseDelay), BaseDelay, $"must be positive and at most MaxDelay ({MaxDelay})");
        if (AttemptTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(AttemptTimeout), AttemptTimeout, "must be positive");
        if (BreakerFailureRatio is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(BreakerFailureRatio), BreakerFailureRatio, "must be in (0, 1]");
        if (BreakerMinimumThroughput < 2) throw new ArgumentOutOfRangeException(nameof(BreakerMinimumThroughput), BreakerMinimumThroughput, "must be at least 2");
        if (BreakerSamplingDuration < TimeSpan.FromMilliseconds(500))
            throw new ArgumentOutOfRangeException(nameof(BreakerSamplingDuration), BreakerSamplingDuration, "must be at least 0.5 s");
        if (BreakDuration < TimeSpan.FromMilliseconds(500))
            throw new ArgumentOutOfRangeException(nameof(BreakDuration), BreakDuration, "must be at least 0.5 s");
        return this;
    }
}
