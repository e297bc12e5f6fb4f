using FineTune.Models.Generation;
using FineTune.Models.Lora;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FineTune.Host.Serving;

/// <summary>
/// The only thread that runs the served model. Requests wait in a bounded queue (full: 429); the worker takes the
/// oldest, gathers every queued request that can share its batch (same adapter, same sampling; prompts and
/// max tokens within the context), sets that adapter on the base model and decodes the batch. Requests for other
/// adapters wait for the next batch, so adapters interleave batch by batch over one copy of the base weights.
/// </summary>
public sealed partial class GenerationWorker(ServedModel served, ServingOptions options, ILogger<GenerationWorker> log) : BackgroundService
{
    private readonly List<GenerationJob> _pending = [];
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly AdapterCache _adapters = new(served, options.MaxLoadedAdapters);
    private long _batches, _sequences, _tokens;

    /// <summary>Counters for tests and the benchmark.</summary>
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
        try
        {
            while (!stop.IsCancellationRequested)
            {
                _signal.Wait(stop);
                while (TakeBatch() is { Count: > 0 } batch) RunBatch(batch, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        finally
        {
            lock (_lock)
            {
                foreach (var job in _pending) job.Fail(OpenAiError.Server("the server is shutting down"));
                _pending.Clear();
            }
            _adapters.Dispose();
        }
    }

    /// <summary>The oldest live request and every queued one that can share its batch, in arrival order.</summary>
    private List<GenerationJob> TakeBatch()
    {
        lock (_lock)
        {
            foreach (var gone in _pending.Where(j => j.Cancelled).ToList())
            {
                _pending.Remove(gone);
                gone.Complete(FinishReason.Stop);
            }
            var batch = new List<GenerationJob>();
            if (_pending.Count == 0) return batch;
            var head = _pending[0];
            int longestPrompt = 0, mostTokens = 0;
            foreach (var job in _pending)
            {
                if (batch.Count == options.MaxBatchSize) break;
                if (!SameBatch(head, job)) continue;
                int prompt = Math.Max(longestPrompt, job.PromptIds.Length), tokens = Math.Max(mostTokens, job.MaxTokens);
                if (prompt + tokens > served.ContextLength) continue;
                (longestPrompt, mostTokens) = (prompt, tokens);
                batch.Add(job);
            }
            foreach (var job in batch) _pending.Remove(job);
            return batch;
        }
    }

    /// <summary>One adapter per batch; greedy requests batch together, sampled ones when temperature and top_p agree (seeded ones alone, so a seed reproduces).</summary>
    private static bool SameBatch(GenerationJob a, GenerationJob b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.Adapter?.Directory != b.Adapter?.Directory || a.Adapter?.Created != b.Adapter?.Created) return false;
        if (a.Sampling.Greedy || b.Sampling.Greedy) return a.Sampling.Greedy && b.Sampling.Greedy;
        return a.Sampling.Seed is null && b.Sampling.Seed is null && a.Sampling.Temperature == b.Sampling.Temperature && a.Sampling.TopP == b.Sampling.TopP;
    }

    private void RunBatch(List<GenerationJob> batch, CancellationToken stop)
    {
        try
        {
            var adapter = batch[0].Adapter;
            if (adapter is null) LoraAdapter.RemoveFrom(served.Model);
            else _adapters.Get(adapter).AttachTo(served.Model);
            var sampling = batch[0].Sampling with { MaxNewTokens = batch.Max(j => j.MaxTokens), EosTokenIds = served.EosTokenIds };
            var results = new Generator(served.Model).Generate(batch.Select(j => j.PromptIds).ToArray(), sampling,
                shouldStop: (i, _) => batch[i].ShouldStop, onToken: (i, id) => batch[i].OnToken(id), cancellationToken: stop);
            lock (_lock)
            {
                _batches++;
                _sequences += batch.Count;
                _tokens += batch.Sum(j => (long)j.CompletionTokens);
            }
            for (int i = 0; i < batch.Count; i++) batch[i].Complete(results[i].FinishReason);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            foreach (var job in batch) job.Fail(OpenAiError.Server("the server is shutting down"));
            throw;
        }
        catch (Exception e)
        {
            LogBatchFailed(e, batch[0].Adapter?.Id ?? served.Id, batch.Count);
            var error = e is FileNotFoundException or InvalidDataException or DirectoryNotFoundException
                ? OpenAiError.Server($"the adapter for '{batch[0].Adapter?.Id}' could not be loaded: {e.Message}")
                : OpenAiError.Server("generation failed: " + e.Message);
            foreach (var job in batch) job.Fail(error);
        }
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "generation failed for {Model} (batch of {Count})")]
    private partial void LogBatchFailed(Exception e, string model, int count);
}
