namespace FineTune.Pipeline.Jobs;

/// <summary>
/// Counts the passes of a background loop (the uploads scan, the drop-folder sync), so a caller can wait for one that
/// started after it asked: anything that pass would have done is then done. Tests use it instead of sleeping.
/// </summary>
public sealed class Passes
{
    private readonly Lock _lock = new();
    private readonly List<(long Pass, TaskCompletionSource Done)> _waiters = [];
    private long _started, _finished;

    /// <summary>Passes finished so far.</summary>
    public long Finished { get { lock (_lock) return _finished; } }

    /// <summary>Marks a pass as started; returns its number for <see cref="End"/>.</summary>
    public long Begin() { lock (_lock) return ++_started; }

    /// <summary>Marks pass <paramref name="pass"/> (and any before it) as finished.</summary>
    public void End(long pass)
    {
        List<TaskCompletionSource> done;
        lock (_lock)
        {
            _finished = Math.Max(_finished, pass);
            done = _waiters.Where(w => w.Pass <= _finished).Select(w => w.Done).ToList();
            _waiters.RemoveAll(w => w.Pass <= _finished);
        }
        foreach (var waiter in done) waiter.TrySetResult();
    }

    /// <summary>Completes once a pass that starts after this call has finished.</summary>
    public Task NextAsync(CancellationToken ct = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock) _waiters.Add((_started + 1, done));
        return done.Task.WaitAsync(ct);
    }
}
