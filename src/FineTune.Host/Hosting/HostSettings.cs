namespace FineTune.Host.Hosting;

/// <summary>Everything `finetune serve` decided from its options, local.settings.json and the environment.</summary>
public sealed record HostSettings
{
    /// <summary>The data folder: drop folders (uploads/, datasets/, models/) and, without a connection string, the embedded Azurite's data.</summary>
    public string? DataDirectory { get; init; }
    /// <summary>A connection string or an account URL (Entra ID); null starts the embedded Azurite under <see cref="DataDirectory"/>.</summary>
    public string? StorageConnectionString { get; init; }
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:7071"];
    /// <summary>Accepted API keys (x-functions-key header, code query parameter, or Authorization: Bearer).</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];
    /// <summary>The Durable task hub: hosts sharing one share the work.</summary>
    public string TaskHub { get; init; } = "finetune";
    /// <summary>Configuration values from local.settings.json "Values" (Pipeline__X keys bind the options); the environment wins over them.</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>();

    /// <summary>True when any URL listens beyond the loopback interface.</summary>
    public bool ListensBeyondLoopback => Urls.Any(u => !IsLoopback(u));

    public IReadOnlyList<string> Check()
    {
        var problems = new List<string>();
        if (DataDirectory is null && StorageConnectionString is null) problems.Add("give --data-dir, --storage, or AzureWebJobsStorage");
        if (ListensBeyondLoopback && ApiKeys.Count == 0)
            problems.Add("an API key is required when listening beyond loopback: set FINETUNE_API_KEYS (comma-separated) in local.settings.json Values or the environment");
        if (ApiKeys.Any(k => k.Length < 16))
            problems.Add("API keys must be at least 16 characters");
        if (TaskHub.Length is < 3 or > 45 || !TaskHub.All(char.IsAsciiLetterOrDigit) || !char.IsAsciiLetter(TaskHub[0]))
            problems.Add($"the task hub name \"{TaskHub}\" must be 3-45 letters and digits, starting with a letter");
        return problems;
    }

    /// <summary>No secrets: the connection string and the keys are not shown.</summary>
    public override string ToString() =>
        $"HostSettings {{ Storage = {(StorageConnectionString is null ? "embedded Azurite" : "(connection string)")}, Urls = {string.Join(";", Urls)}, ApiKeys = {ApiKeys.Count}, TaskHub = {TaskHub} }}";

    public static bool IsLoopback(string url)
    {
        var host = url.Replace("://+", "://0.0.0.0").Replace("://*", "://0.0.0.0");
        return Uri.TryCreate(host, UriKind.Absolute, out var uri) && uri.IsLoopback;
    }
}
