namespace FineTune.Pipeline.Jobs;

/// <summary>Lets this process's workers poll at once after it enqueued work, instead of waiting out the polling backoff.</summary>
public sealed class WorkerSignal
{
    private TaskCompletionSource _pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Pulse() => Interlocked.Exchange(ref _pulse, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes at the next pulse or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var pulse = Volatile.Read(ref _pulse).Task;
        await Task.WhenAny(pulse, Task.Delay(timeout, ct));
        ct.ThrowIfCancellationRequested();
    }
}
