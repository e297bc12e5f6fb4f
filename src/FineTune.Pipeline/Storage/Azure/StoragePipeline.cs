using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FineTune.Pipeline.Storage.Azure;

/// <summary>Azure.Core's HttpPipeline for Storage REST: Azure.Core's retry (408/429/5xx, backoff) and Shared Key signing per attempt.</summary>
public static class StoragePipeline
{
    public const string ServiceVersion = "2021-12-02";

    public static HttpPipeline Create(StorageConnectionString account)
    {
        var options = new StorageRestOptions();
        options.Retry.MaxRetries = 4;
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(5);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(100);
        options.Diagnostics.IsLoggingContentEnabled = false;
        options.Diagnostics.IsTelemetryEnabled = false;
        return HttpPipelineBuilder.Build(options, [], [new SharedKeyPolicy(account.AccountName, account.AccountKey)], new ResponseClassifier());
    }

    private sealed class StorageRestOptions : ClientOptions;
}
