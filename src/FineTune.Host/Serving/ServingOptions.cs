namespace FineTune.Host.Serving;

/// <summary>What `finetune serve --model DIR` serves and how much work it accepts; checked at start-up.</summary>
public sealed record ServingOptions
{
    /// <summary>A Hugging Face folder (config.json, safetensors, tokenizer.json).</summary>
    public required string ModelDirectory { get; init; }
    /// <summary>The base model's id in /v1/models; default: the folder's name.</summary>
    public string? BaseModelId { get; init; }
    /// <summary>A folder of adapters (see <see cref="FolderAdapterCatalog"/>); null serves the base and registered deployments only.</summary>
    public string? AdaptersDirectory { get; init; }
    /// <summary>Adapters kept in memory; the least recently used beyond this are unloaded.</summary>
    public int MaxLoadedAdapters { get; init; } = 8;
    /// <summary>Sequences running at once in the continuous batch (any mix of adapters and sampling).</summary>
    public int MaxBatchSize { get; init; } = 16;
    /// <summary>Requests waiting for the generation worker beyond the running batch; more are answered 429.</summary>
    public int MaxQueuedRequests { get; init; } = 64;
    /// <summary>The Retry-After a 429 carries.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>How often the deployments container is checked for new, changed or removed deployments (<see cref="DeploymentSync"/>).</summary>
    public TimeSpan DeploymentPollInterval { get; init; } = TimeSpan.FromSeconds(5);

    public string ResolvedBaseModelId => BaseModelId ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(ModelDirectory)));

    public IReadOnlyList<string> Check()
    {
        var problems = new List<string>();
        if (!File.Exists(Path.Combine(ModelDirectory, "config.json"))) problems.Add($"--model {ModelDirectory}: no config.json there");
        if (AdaptersDirectory is not null && !Directory.Exists(AdaptersDirectory)) problems.Add($"--adapters {AdaptersDirectory}: no such folder");
        if (MaxLoadedAdapters < 1) problems.Add($"max loaded adapters must be >= 1 (got {MaxLoadedAdapters})");
        if (MaxBatchSize < 1) problems.Add($"max batch size must be >= 1 (got {MaxBatchSize})");
        if (MaxQueuedRequests < 0) problems.Add($"max queued requests must be >= 0 (got {MaxQueuedRequests})");
        if (RetryAfter < TimeSpan.Zero) problems.Add("Retry-After must not be negative");
        if (DeploymentPollInterval <= TimeSpan.Zero) problems.Add("the deployment poll interval must be positive");
        if (ResolvedBaseModelId.Length == 0) problems.Add("the base model needs an id");
        return problems;
    }
}
