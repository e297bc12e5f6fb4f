using System.Text.Json;
using System.Text.Json.Nodes;

namespace FineTune.Host.Hosting;

/// <summary>
/// Reads settings the way the Functions host does: <c>local.settings.json</c> "Values", then the environment, which wins.
/// Pipeline__X and Limits__X values become configuration (the "Pipeline" and "Limits" options sections); the rest are the host's own.
/// </summary>
public static class HostSettingsLoader
{
    /// <summary>
    /// The settings of `finetune serve`: explicit options win, then the environment, then local.settings.json Values
    /// (AzureWebJobsStorage, FINETUNE_API_KEYS, FINETUNE_TASK_HUB, Pipeline__*), then defaults.
    /// </summary>
    public static HostSettings Load(string? dataDirectory, string? storage, string? urls, string scriptRoot, string? localSettingsPath = null)
    {
        var values = ReadValues(localSettingsPath ?? Path.Combine(scriptRoot, "local.settings.json"));
        var connection = storage ?? values.GetValueOrDefault("AzureWebJobsStorage");
        if (string.IsNullOrWhiteSpace(connection)) connection = null;
        // The development-storage shortcut means "the emulator": the host starts its own Azurite unless one is given.
        if (connection == "UseDevelopmentStorage=true" && storage is null && dataDirectory is not null) connection = null;
        if (connection is null) dataDirectory ??= Path.Combine(scriptRoot, ".data");
        var urlList = urls is not null
            ? urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : ["http://127.0.0.1:7071"];
        return new HostSettings
        {
            DataDirectory = dataDirectory is null ? null : Path.GetFullPath(dataDirectory),
            StorageConnectionString = connection,
            Urls = urlList,
            ApiKeys = (values.GetValueOrDefault("FINETUNE_API_KEYS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            TaskHub = values.GetValueOrDefault("FINETUNE_TASK_HUB") ?? "finetune",
            Values = values.Where(v => v.Key.StartsWith("Pipeline__", StringComparison.OrdinalIgnoreCase) || v.Key.StartsWith("Limits__", StringComparison.OrdinalIgnoreCase))
                .ToDictionary(v => v.Key.Replace("__", ":"), v => v.Value),
        };
    }

    public static Dictionary<string, string> ReadValues(string? localSettingsPath)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (localSettingsPath is not null && File.Exists(localSettingsPath))
        {
            var root = JsonNode.Parse(File.ReadAllText(localSettingsPath), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (root?["Values"] is JsonObject valuesNode)
                foreach (var (key, value) in valuesNode)
                    if (value is not null) values[key] = value.ToString();
        }
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            if (entry.Key is string key && entry.Value is string value && (key.StartsWith("FINETUNE_", StringComparison.Ordinal) || key is "AzureWebJobsStorage"))
                values[key] = value;
        return values;
    }
}
