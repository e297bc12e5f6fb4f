namespace FineTune.Pipeline;

/// <summary>
/// Settings of the job workers and the drop-zone trigger. The host fills them from host.json
/// (functionTimeout, extensions.queues.*, retry) and configuration ("Pipeline" section); <see cref="Check"/> runs at start-up.
/// </summary>
public sealed class PipelineOptions
{
    /// <summary>How long a worker holds a job's lease between renewals (Azure: 15–60 s).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How long a received queue message stays hidden (renewed while its stage runs).</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Messages received (and jobs advanced concurrently) per poll (host.json queues.batchSize).</summary>
    public int BatchSize { get; set; } = 16;
    /// <summary>A message dequeued more often than this fails its job and moves to the poison queue.</summary>
    public int MaxDequeueCount { get; set; } = 5;
    public TimeSpan MinPollingInterval { get; set; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>One stage attempt may run this long (host.json functionTimeout).</summary>
    public TimeSpan StageTimeout { get; set; } = TimeSpan.FromHours(2);
    /// <summary>Retries of a stage on transient faults (host.json retry.maxRetryCount), exponential backoff with jitter.</summary>
    public int MaxRetries { get; set; } = 3;
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How often the drop zone (uploads/) is listed; 0 disables the scan (Event Grid or Functions deliver instead).</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromMilliseconds(250);
    /// <summary>A file in a folder drop zone must be this old before it starts a job (a copy may still be writing it).</summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.Zero;
    /// <summary>How often a running training or evaluation is checked (a durable timer).</summary>
    public TimeSpan TrainingPollInterval { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Names this worker in job histories ("StageStarted by …").</summary>
    public string WorkerName { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";
    /// <summary>The LLM endpoint of the Synthesize stage (documents → Q&amp;A).</summary>
    public Stages.SynthesisSettings Synthesis { get; set; } = new();
    /// <summary>Run queue workers in this process.</summary>
    public bool RunWorkers { get; set; } = true;

    public IReadOnlyList<string> Check()
    {
        var problems = new List<string>();
        if (LeaseDuration < TimeSpan.FromSeconds(1)) problems.Add($"LeaseDuration must be at least 1 s, not {LeaseDuration}");
        if (VisibilityTimeout < TimeSpan.FromSeconds(1)) problems.Add($"VisibilityTimeout must be at least 1 s, not {VisibilityTimeout}");
        if (BatchSize is < 1 or > 32) problems.Add($"BatchSize must be 1..32, not {BatchSize}");
        if (MaxDequeueCount < 1) problems.Add($"MaxDequeueCount must be at least 1, not {MaxDequeueCount}");
        if (MinPollingInterval <= TimeSpan.Zero || MaxPollingInterval < MinPollingInterval)
            problems.Add("polling intervals must be positive and MaxPollingInterval >= MinPollingInterval");
        if (StageTimeout < TimeSpan.FromSeconds(1)) problems.Add($"StageTimeout must be at least 1 s, not {StageTimeout}");
        if (MaxRetries is < 0 or > 20) problems.Add($"MaxRetries must be 0..20, not {MaxRetries}");
        if (ScanInterval < TimeSpan.Zero) problems.Add("ScanInterval must not be negative");
        if (TrainingPollInterval < TimeSpan.FromMilliseconds(100)) problems.Add("TrainingPollInterval must be at least 100 ms");
        return problems;
    }
}
