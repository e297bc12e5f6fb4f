using FineTune.Models.Generation;
using FineTune.Models.Lora;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FineTune.Host.Serving;

/// <summary>
/// The only thread that runs the served model, as one continuous batch (<see cref="BatchDecoder"/>). Requests wait in
/// a bounded queue (full: 429); between decode steps the worker moves the oldest queued requests into free slots (up to
/// <see cref="ServingOptions.MaxBatchSize"/>), whatever their adapter and sampling, then runs one step: the newcomers'
/// prefill and one decode forward for all the others, each row with its own adapter over one copy of the base weights
/// (<see cref="AdapterStack"/>). A finished, stopped or cancelled request leaves the batch at once. An adapter is loaded
/// when a request needs it; one that running requests use is never unloaded, so with the cache full of those the
/// oldest queued request waits (and the ones behind it, in order) until one is free.
/// </summary>
public sealed partial class GenerationWorker(ServedModel served, ServingOptions options, ILogger<GenerationWorker> log) : BackgroundService
{
    private readonly List<GenerationJob> _pending = [];
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly AdapterCache _adapters = new(served, options.MaxLoadedAdapters);
    private readonly Dictionary<DecodeSequence, GenerationJob> _running = [];
    private long _batches, _sequences, _tokens;

    /// <summary>
    /// Counters for tests and the benchmark. Batches counts admissions: the times queued requests joined the running
    /// batch (requests queued together join together).
    /// </summary>
    public ServingStats Stats
    {
        get { lock (_lock) return new ServingStats(_batches, _sequences, _tokens, _adapters.Loads, _adapters.Evictions, _adapters.Count, _pending.Count); }
    }

    /// <summary>Queues a request, or throws the 429 when <see cref="ServingOptions.MaxQueuedRequests"/> are already waiting.</summary>
    public void Submit(GenerationJob job)
    {
        lock (_lock)
        {
            if (_pending.Count >= options.MaxQueuedRequests) throw OpenAiError.Overloaded(options.RetryAfter);
            _pending.Add(job);
        }
        _signal.Release();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stop)
    {
        var decoder = new BatchDecoder(served.Model, options.MaxBatchSize, served.EosTokenIds);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (_running.Count == 0) _signal.Wait(stop);
                Admit(decoder);
                if (_running.Count > 0) StepOnce(decoder, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        finally
        {
            var shutdown = OpenAiError.Server("the server is shutting down");
            foreach (var (seq, job) in _running)
            {
                job.Fail(shutdown);
                seq.Dispose();
            }
            _running.Clear();
            lock (_lock)
            {
                foreach (var job in _pending) job.Fail(shutdown);
                _pending.Clear();
            }
            var stack = decoder.Adapters;
            decoder.Dispose();
            stack?.Dispose();
            _adapters.Dispose();
        }
    }

    /// <summary>Retires cancelled requests, then moves the oldest queued ones into free slots, in arrival order.</summary>
    private void Admit(BatchDecoder decoder)
    {
        foreach (var (seq, job) in _running.Where(r => r.Value.Cancelled).ToList()) Retire(decoder, seq, job, FinishReason.Stop);
        int admitted = 0;
        while (decoder.HasRoom)
        {
            GenerationJob job;
            lock (_lock)
            {
                foreach (var gone in _pending.Where(j => j.Cancelled).ToList())
                {
                    _pending.Remove(gone);
                    gone.Complete(FinishReason.Stop);
                }
                if (_pending.Count == 0) break;
                job = _pending[0];
            }
            LoraAdapter? adapter = null;
            try
            {
                if (job.Adapter is not null)
                {
                    var inUse = _running.Keys.Select(s => s.Adapter).OfType<LoraAdapter>().ToHashSet();
                    int loads = (int)_adapters.Loads;
                    adapter = _adapters.TryGet(job.Adapter, inUse);
                    if (adapter is null) break;                       // every loaded adapter is busy: wait for one
                    if (_adapters.Loads != loads || decoder.Adapters?.Adapters.Contains(adapter) != true) Restack(decoder);
                }
                var seq = new DecodeSequence(job.PromptIds, job.Sampling with { MaxNewTokens = job.MaxTokens }, adapter);
                decoder.Add(seq);
                _running[seq] = job;
                admitted++;
            }
            catch (Exception e)
            {
                LogBatchFailed(e, job.Adapter?.Id ?? served.Id, 1);
                job.Fail(e is FileNotFoundException or InvalidDataException or DirectoryNotFoundException
                    ? OpenAiError.Server($"the adapter for '{job.Adapter?.Id}' could not be loaded: {e.Message}")
                    : OpenAiError.Server("generation failed: " + e.Message));
            }
            lock (_lock) _pending.Remove(job);
        }
        if (admitted > 0) lock (_lock) _batches++;
    }

    /// <summary>A new stack over the loaded adapters (after a load or an unload); the old one is freed.</summary>
    private void Restack(BatchDecoder decoder)
    {
        var old = decoder.Adapters;
        decoder.Adapters = new AdapterStack(served.Model, _adapters.Loaded);
        old?.Dispose();
    }

    private void StepOnce(BatchDecoder decoder, CancellationToken stop)
    {
        try
        {
            decoder.Step(stop, (seq, token) => _running[seq].OnToken(token));
            foreach (var (seq, job) in _running.ToList())
                if (seq.Finish is { } finish) Retire(decoder, seq, job, finish);
                else if (job.ShouldStop) Retire(decoder, seq, job, FinishReason.Stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            LogBatchFailed(e, served.Id, _running.Count);
            var error = OpenAiError.Server("generation failed: " + e.Message);
            foreach (var (seq, job) in _running.ToList())
            {
                decoder.Remove(seq);
                seq.Dispose();
                job.Fail(error);
            }
            _running.Clear();
        }
    }

    private void Retire(BatchDecoder decoder, DecodeSequence seq, GenerationJob job, FinishReason finish)
    {
        decoder.Remove(seq);
        _running.Remove(seq);
        seq.Dispose();
        lock (_lock)
        {
            _sequences++;
            _tokens += job.CompletionTokens;
        }
        job.Complete(finish);
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "generation failed for {Model} (batch of {Count})")]
    private partial void LogBatchFailed(Exception e, string model, int count);
}
