using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace FineTune.Synthesis;

/// <summary>
/// Wraps an <see cref="IChatCompletionClient"/> in a Polly pipeline — retry (outermost) → circuit breaker → timeout
/// per attempt — behind a semaphore that bounds the requests in flight. Only transient faults are retried
/// (<see cref="TransientFaults"/>); a server's Retry-After replaces the backoff delay. Counts go to <see cref="Statistics"/>.
/// </summary>
public sealed class ResilientChatClient : IChatCompletionClient, IDisposable
{
    private readonly IChatCompletionClient _inner;
    private readonly ResiliencePipeline _pipeline;
    private readonly SemaphoreSlim _slots;

    public ResilientChatClient(IChatCompletionClient inner, ResilienceOptions options, CallStatistics? statistics = null)
    {
        options.Validated();
        _inner = inner;
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        Statistics = statistics ?? new CallStatistics();
        _pipeline = Build(options, Statistics);
    }

    public CallStatistics Statistics { get; }

    public async Task<CompletionResult> CompleteAsync(string prompt, GenerationSettings settings, CancellationToken ct)
    {
        await _slots.WaitAsync(ct);
        try
        {
            Statistics.CountRequest();
            var result = await _pipeline.ExecuteAsync(async token =>
            {
                Statistics.CountAttempt();
                return await _inner.CompleteAsync(prompt, settings, token);
            }, ct);
            Statistics.CountUsage(result);
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Statistics.CountFailure();
            throw;
        }
        finally
        {
            _slots.Release();
        }
    }

    private static ResiliencePipeline Build(ResilienceOptions options, CallStatistics statistics)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider };
        if (options.MaxRetries > 0) // Polly requires at least one retry; zero means no retry strategy at all
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(TransientFaults.IsTransient(args.Outcome.Exception, args.Context.CancellationToken)),
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                DelayGenerator = args =>
                {
                    var wait = TransientFaults.RetryAfter(args.Outcome.Exception, options.TimeProvider);
                    return ValueTask.FromResult(wait is null ? (TimeSpan?)null : wait.Value > options.MaxRetryAfter ? options.MaxRetryAfter : wait);
                },
                OnRetry = args =>
                {
                    statistics.CountRetry(args.Outcome.Exception is { } e ? TransientFaults.Describe(e) : "result");
                    return default;
                },
            });
        return builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(TransientFaults.IsTransient(args.Outcome.Exception, args.Context.CancellationToken)),
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = options.BreakerSamplingDuration,
                BreakDuration = options.BreakDuration,
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    public void Dispose() => _slots.Dispose();
}
