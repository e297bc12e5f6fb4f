namespace FineTune.Pipeline.Storage.Azure;

/// <summary>
/// A parsed storage connection string: "UseDevelopmentStorage=true" (Azurite's well-known account, optionally with
/// DevelopmentStorageProxyUri) or "DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…[;EndpointSuffix=…]
/// [;BlobEndpoint=…][;QueueEndpoint=…]". <see cref="ToString"/> never shows the key.
/// </summary>
public sealed record StorageConnectionString(string AccountName, string AccountKey, Uri BlobEndpoint, Uri QueueEndpoint)
{
    /// <summary>Azurite's published development account (https://github.com/Azure/Azurite#default-storage-account).</summary>
    public const string DevelopmentAccount = "devstoreaccount1";
    public const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static StorageConnectionString Parse(string connectionString)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new FormatException($"storage connection string: '{Redact(pair)}' is not name=value");
            parts[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }
        if (parts.TryGetValue("UseDevelopmentStorage", out var dev) && dev.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            var proxy = parts.TryGetValue("DevelopmentStorageProxyUri", out var p) ? new Uri(p) : new Uri("http://127.0.0.1");
            return new StorageConnectionString(DevelopmentAccount, DevelopmentKey,
                new Uri($"{proxy.Scheme}://{proxy.Host}:10000/{DevelopmentAccount}"),
                new Uri($"{proxy.Scheme}://{proxy.Host}:10001/{DevelopmentAccount}"));
        }
        if (parts.ContainsKey("SharedAccessSignature"))
            throw new FormatException("storage connection string: SAS tokens are not supported; use an account key");
        var account = Required(parts, "AccountName");
        var key = Required(parts, "AccountKey");
        try
        {
            Convert.FromBase64String(key);
        }
        catch (FormatException)
        {
            throw new FormatException("storage connection string: AccountKey is not base64");
        }
        var protocol = parts.GetValueOrDefault("DefaultEndpointsProtocol", "https");
        var suffix = parts.GetValueOrDefault("EndpointSuffix", "core.windows.net");
        var blob = parts.TryGetValue("BlobEndpoint", out var b) ? new Uri(b) : new Uri($"{protocol}://{account}.blob.{suffix}");
        var queue = parts.TryGetValue("QueueEndpoint", out var q) ? new Uri(q) : new Uri($"{protocol}://{account}.queue.{suffix}");
        return new StorageConnectionString(account, key, blob, queue);
    }

    /// <summary>True when <paramref name="value"/> looks like a connection string rather than a folder.</summary>
    public static bool LooksLikeConnectionString(string value) =>
        value.Contains("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase) || value.Contains("AccountName=", StringComparison.OrdinalIgnoreCase);

    public override string ToString() => $"AccountName={AccountName};AccountKey=***;BlobEndpoint={BlobEndpoint};QueueEndpoint={QueueEndpoint}";

    private static string Required(Dictionary<string, string> parts, string name) =>
        parts.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new FormatException($"storage connection string: {name} is missing");

    private static string Redact(string pair) => pair.Contains("Key", StringComparison.OrdinalIgnoreCase) ? "(a key)" : pair;
}
