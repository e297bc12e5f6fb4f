using Microsoft.Extensions.Configuration;

namespace FineTune.Functions;

/// <summary>Reads the app settings the Functions host also reads.</summary>
public static class FunctionsSettings
{
    public const string Storage = "AzureWebJobsStorage";

    /// <summary>
    /// The AzureWebJobsStorage connection as StorageAccount.FromSetting takes it: the connection string; else (identity-based
    /// connection) AzureWebJobsStorage__blobServiceUri, or https://{AzureWebJobsStorage__accountName}.blob.core.windows.net.
    /// </summary>
    public static string StorageSetting(IConfiguration configuration)
    {
        if (configuration[Storage] is { Length: > 0 } connection) return connection;
        var section = configuration.GetSection(Storage);
        if (section["blobServiceUri"] is { Length: > 0 } blobUri) return blobUri;
        if (section["accountName"] is { Length: > 0 } account) return $"https://{account}.blob.core.windows.net";
        throw new InvalidOperationException(
            $"set {Storage} (a connection string) or {Storage}__blobServiceUri / {Storage}__accountName (identity-based connection)");
    }
}
