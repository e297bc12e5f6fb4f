using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;

namespace FineTune.Pipeline.Storage;

/// <summary>
/// One storage account: its blobs through the Azure SDK, the setting a child process (the trainer) is given to reach the
/// same account, and a description for logs that holds no secret.
/// </summary>
public sealed class StorageAccount
{
    private StorageAccount(BlobServiceClient service, string setting, string description, TokenCredential? credential)
    {
        Service = service;
        Blobs = new AzureBlobStore(service);
        Setting = setting;
        Description = description;
        Credential = credential;
    }

    public BlobServiceClient Service { get; }
    public IBlobStore Blobs { get; }
    /// <summary>A connection string or an account URL (Entra ID): what FINETUNE_STORAGE carries to the trainer. May hold a key.</summary>
    public string Setting { get; }
    /// <summary>Safe to log: the account name and endpoint, never a key.</summary>
    public string Description { get; }
    /// <summary>The Entra ID credential when the account is reached by URL; null for connection strings.</summary>
    public TokenCredential? Credential { get; }
    public string AccountName => Service.AccountName;

    /// <summary>
    /// "UseDevelopmentStorage=true", an account connection string, or an account URL (https://NAME.blob.core.windows.net)
    /// reached with DefaultAzureCredential (a managed identity in Azure).
    /// </summary>
    public static StorageAccount FromSetting(string setting, TokenCredential? credential = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(setting);
        if (Uri.TryCreate(setting, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http")
        {
            var tokens = credential ?? new DefaultAzureCredential();
            var service = new BlobServiceClient(uri, tokens, ClientOptions());
            return new StorageAccount(service, setting, $"Azure Storage account {service.AccountName} ({uri.Host}, Entra ID)", tokens);
        }
        try
        {
            var service = new BlobServiceClient(setting, ClientOptions());
            return new StorageAccount(service, setting, $"Azure Storage account {service.AccountName} at {service.Uri.Host}:{service.Uri.Port}", null);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException("the storage setting is neither a connection string nor an account URL (the value is not shown: it may hold a key)", e);
        }
    }

    /// <summary>Creates the FineTune containers (idempotent).</summary>
    public async Task EnsureCreatedAsync(CancellationToken ct = default)
    {
        foreach (var container in Containers.All)
            await Blobs.CreateContainerAsync(container, ct);
    }

    private static BlobClientOptions ClientOptions()
    {
        var options = new BlobClientOptions();
        // Storage briefly down (Azurite restarted, a network blip): the SDK retries with backoff before a caller sees it.
        options.Retry.MaxRetries = 6;
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(10);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(100);
        return options;
    }
}
