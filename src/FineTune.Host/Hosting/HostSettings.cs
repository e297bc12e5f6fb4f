using FineTune.Pipeline;
using FineTune.Pipeline.Training;

namespace FineTune.Host.Hosting;

/// <summary>Everything `finetune serve` decided from its options, local.settings.json and host.json.</summary>
public sealed record HostSettings
{
    /// <summary>The embedded store's folder; used when <see cref="StorageConnectionString"/> is null.</summary>
    public string DataDirectory { get; init; } = ".data";
    /// <summary>"UseDevelopmentStorage=true" or an account connection string (AzureWebJobsStorage).</summary>
    public string? StorageConnectionString { get; init; }
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:7071"];
    /// <summary>Accepted API keys (x-functions-key header or code query parameter).</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];
    /// <summary>Running as an Azure Functions custom handler: the Functions host delivers triggers, so no scan and no queue polling.</summary>
    public bool FunctionsCustomHandler { get; init; }
    public PipelineOptions Pipeline { get; init; } = new();
    public TrainingBackendOptions Training { get; init; } = new();

    /// <summary>True when any URL listens beyond the loopback interface.</summary>
    public bool ListensBeyondLoopback => Urls.Any(u => !IsLoopback(u));

    public IReadOnlyList<string> Check()
    {
        var problems = new List<string>(Pipeline.Check());
        problems.AddRange(Training.Check());
        if (ListensBeyondLoopback && !FunctionsCustomHandler && ApiKeys.Count == 0)
            problems.Add("an API key is required when listening beyond loopback: set FINETUNE_API_KEYS (comma-separated) in local.settings.json Values or the environment");
        if (ApiKeys.Any(k => k.Length < 16))
            problems.Add("API keys must be at least 16 characters");
        return problems;
    }

    /// <summary>No secrets: the connection string and the keys are not shown.</summary>
    public override string ToString() =>
        $"HostSettings {{ Storage = {(StorageConnectionString is null ? DataDirectory : "(connection string)")}, Urls = {string.Join(";", Urls)}, ApiKeys = {ApiKeys.Count}, FunctionsCustomHandler = {FunctionsCustomHandler} }}";

    private static bool IsLoopback(string url)
    {
        var host = url.Replace("://+", "://0.0.0.0").Replace("://*", "://0.0.0.0");
        if (!Uri.TryCreate(host, UriKind.Absolute, out var uri)) return false;
        return uri.IsLoopback;
    }
}
