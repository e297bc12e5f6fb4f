namespace FineTune.Data;

/// <summary>
/// Runs the slices of a batch on the calling thread and on dedicated helper threads. Every thread
/// claims slices from a shared counter, so the caller never waits for a helper that was not
/// scheduled (it takes the slices itself) — at most for the one slice a helper is working on.
/// Helpers sleep on a monitor between batches instead of spinning, which matters on a busy machine.
/// </summary>
internal sealed class SliceRunner : IDisposable
{
    private sealed class Batch(int slices, Action<int, int> work)
    {
        public readonly int Slices = slices;
        public readonly Action<int, int> Work = work;
        public int Next;
        public int Done;
        public Exception? Error;
    }

    private readonly object _gate = new();
    private Batch? _current;
    private int _generation;
    private bool _stopping;

    /// <param name="helpers">Threads besides the caller's.</param>
    public SliceRunner(int helpers)
    {
        for (var i = 0; i < helpers; i++)
            new Thread(Helper) { IsBackground = true, Name = $"finetune-validate-{i + 1}" }.Start(i + 1);
    }

    /// <summary>Runs work(slice, thread) for every slice in [0, slices); thread 0 is the caller. Returns when all are done.</summary>
    public void Run(int slices, Action<int, int> work)
    {
        var batch = new Batch(slices, work);
        lock (_gate)
        {
            _current = batch;
            _generation++;
            Monitor.PulseAll(_gate);
        }
        RunSlices(batch, 0);
        var spin = new SpinWait();
        while (Volatile.Read(ref batch.Done) < slices) spin.SpinOnce();
        if (batch.Error is { } error)
            throw new AggregateException("checking records on a helper thread failed", error);
    }

    private void Helper(object? index)
    {
        var seen = 0;
        while (true)
        {
            Batch batch;
            lock (_gate)
            {
                while (_generation == seen && !_stopping) Monitor.Wait(_gate);
                if (_stopping) return;
                seen = _generation;
                batch = _current!;
            }
            RunSlices(batch, (int)index!);
        }
    }

    private static void RunSlices(Batch batch, int thread)
    {
        while (true)
        {
            var slice = Interlocked.Increment(ref batch.Next) - 1;
            if (slice >= batch.Slices) return;
            try
            {
                batch.Work(slice, thread);
            }
            catch (Exception ex)
            {
                batch.Error ??= ex;
            }
            Interlocked.Increment(ref batch.Done);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
    }
}
