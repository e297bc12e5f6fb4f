using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline;
using FineTune.Pipeline.Training;

namespace FineTune.Host.Hosting;

/// <summary>
/// Reads settings the way the Functions host does: <c>local.settings.json</c> "Values" (then the environment, which wins)
/// and the parts of <c>host.json</c> that apply here: functionTimeout, extensions.queues (batchSize, maxDequeueCount,
/// visibilityTimeout, maxPollingInterval) and retry (maxRetryCount, minimumInterval/delayInterval, maximumInterval).
/// Settings named Pipeline__X / Pipeline__Training__X set <see cref="PipelineOptions"/> and <see cref="TrainingBackendOptions"/>.
/// </summary>
public static class HostSettingsLoader
{
    /// <summary>
    /// The settings of `finetune serve`: explicit options win, then local.settings.json Values / the environment
    /// (AzureWebJobsStorage, FINETUNE_API_KEYS, FUNCTIONS_CUSTOMHANDLER_PORT, Pipeline__*), then host.json, then defaults.
    /// </summary>
    public static HostSettings Load(string? dataDirectory, string? storage, string? urls, string scriptRoot, string? localSettingsPath = null)
    {
        var values = ReadValues(localSettingsPath ?? Path.Combine(scriptRoot, "local.settings.json"));
        var pipeline = new PipelineOptions();
        ApplyHostJson(Path.Combine(scriptRoot, "host.json"), pipeline);
        var training = new TrainingBackendOptions();
        ApplyValues(values, pipeline, training);
        if (dataDirectory is not null && storage is not null)
            throw new ArgumentException("give either --data-dir or --storage, not both");
        var connection = storage ?? (dataDirectory is null ? values.GetValueOrDefault("AzureWebJobsStorage") : null);
        if (string.IsNullOrWhiteSpace(connection)) connection = null;
        var customHandlerPort = values.GetValueOrDefault("FUNCTIONS_CUSTOMHANDLER_PORT");
        var urlList = urls is not null
            ? urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : customHandlerPort is not null ? [$"http://127.0.0.1:{customHandlerPort}"] : ["http://127.0.0.1:7071"];
        var data = Path.GetFullPath(dataDirectory ?? Path.Combine(scriptRoot, ".data"));
        if (connection is null && pipeline.SettleTime == TimeSpan.Zero)
            pipeline.SettleTime = TimeSpan.FromMilliseconds(150); // files copied into the folder may still be growing
        return new HostSettings
        {
            DataDirectory = data,
            StorageConnectionString = connection,
            Urls = urlList,
            ApiKeys = (values.GetValueOrDefault("FINETUNE_API_KEYS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            FunctionsCustomHandler = customHandlerPort is not null,
            Pipeline = pipeline,
            Training = training,
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
            if (entry.Key is string key && entry.Value is string value && (key.StartsWith("FINETUNE_", StringComparison.Ordinal)
                || key.StartsWith("Pipeline__", StringComparison.Ordinal) || key is "AzureWebJobsStorage" or "FUNCTIONS_CUSTOMHANDLER_PORT"))
                values[key] = value;
        return values;
    }

    public static void ApplyHostJson(string? hostJsonPath, PipelineOptions options)
    {
        if (hostJsonPath is null || !File.Exists(hostJsonPath)) return;
        var root = JsonNode.Parse(File.ReadAllText(hostJsonPath), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
            ?? throw new InvalidDataException($"{hostJsonPath} is empty");
        if (Span(root["functionTimeout"]) is { } timeout) options.StageTimeout = timeout;
        if (root["extensions"]?["queues"] is JsonObject queues)
        {
            if (Int(queues["batchSize"]) is { } batch) options.BatchSize = batch;
            if (Int(queues["maxDequeueCount"]) is { } dequeue) options.MaxDequeueCount = dequeue;
            if (Span(queues["visibilityTimeout"]) is { } visibility && visibility > TimeSpan.Zero) options.VisibilityTimeout = visibility;
            if (Span(queues["maxPollingInterval"]) is { } polling) options.MaxPollingInterval = polling;
        }
        if (root["retry"] is JsonObject retry)
        {
            if (Int(retry["maxRetryCount"]) is { } count) options.MaxRetries = count;
            if ((Span(retry["minimumInterval"]) ?? Span(retry["delayInterval"])) is { } delay) options.RetryDelay = delay;
            if (Span(retry["maximumInterval"]) is { } max) options.MaxRetryDelay = max;
        }
    }

    /// <summary>Pipeline__LeaseDuration=00:00:15 style overrides (seconds may be given as a plain number).</summary>
    public static void ApplyValues(IReadOnlyDictionary<string, string> values, PipelineOptions pipeline, TrainingBackendOptions training)
    {
        foreach (var (key, value) in values)
        {
            var name = key.Replace(":", "__");
            if (name.StartsWith("Pipeline__Synthesis__", StringComparison.OrdinalIgnoreCase))
                Set(pipeline.Synthesis, name["Pipeline__Synthesis__".Length..], value);
            else if (name.StartsWith("Pipeline__Training__", StringComparison.OrdinalIgnoreCase))
                Set(training, name["Pipeline__Training__".Length..], value);
            else if (name.StartsWith("Pipeline__", StringComparison.OrdinalIgnoreCase))
                Set(pipeline, name["Pipeline__".Length..], value);
        }
    }

    private static void Set(object target, string property, string value)
    {
        var info = target.GetType().GetProperty(property, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase)
            ?? throw new InvalidOperationException($"unknown setting {target.GetType().Name}.{property}");
        object parsed = info.PropertyType switch
        {
            var t when t == typeof(TimeSpan) => double.TryParse(value, CultureInfo.InvariantCulture, out var s) ? TimeSpan.FromSeconds(s) : TimeSpan.Parse(value, CultureInfo.InvariantCulture),
            var t when t == typeof(int) => int.Parse(value, CultureInfo.InvariantCulture),
            var t when t == typeof(bool) => bool.Parse(value),
            var t when t == typeof(List<string>) => value.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList(),
            _ => value,
        };
        info.SetValue(target, parsed);
    }

    private static int? Int(JsonNode? node) => node is null ? null : int.Parse(node.ToString(), CultureInfo.InvariantCulture);

    private static TimeSpan? Span(JsonNode? node) =>
        node is null || node.ToString() == "-1" ? null : TimeSpan.Parse(node.ToString(), CultureInfo.InvariantCulture);
}
