using System.Collections.Concurrent;

namespace FineTune.Synthesis;

/// <summary>Thread-safe counts of what the model was asked and what it cost: requests (one per prompt), attempts
/// (HTTP calls, retries included), retries and their causes, failures, and token usage of successful calls.</summary>
public sealed class CallStatistics
{
    private long _requests, _attempts, _failed, _promptTokens, _completionTokens;
    private readonly ConcurrentDictionary<string, long> _retriesByCause = new();

    public long Requests => Interlocked.Read(ref _requests);
    public long Attempts => Interlocked.Read(ref _attempts);
    public long Retries => _retriesByCause.Values.Sum();
    public long Failed => Interlocked.Read(ref _failed);
    public long PromptTokens => Interlocked.Read(ref _promptTokens);
    public long CompletionTokens => Interlocked.Read(ref _completionTokens);
    public IReadOnlyDictionary<string, long> RetriesByCause =>
        new SortedDictionary<string, long>(_retriesByCause.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);

    internal void CountRequest() => Interlocked.Increment(ref _requests);
    internal void CountAttempt() => Interlocked.Increment(ref _attempts);
    internal void CountFailure() => Interlocked.Increment(ref _failed);
    internal void CountRetry(string cause) => _retriesByCause.AddOrUpdate(cause, 1, (_, n) => n + 1);

    internal void CountUsage(CompletionResult result)
    {
        Interlocked.Add(ref _promptTokens, result.PromptTokens);
        Interlocked.Add(ref _completionTokens, result.CompletionTokens);
    }
}
