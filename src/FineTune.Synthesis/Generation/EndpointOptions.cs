using Azure.Core;

namespace FineTune.Synthesis;

/// <summary>
/// Where the model lives. Any OpenAI-compatible base URL: https://api.openai.com/v1, an Azure OpenAI v1 endpoint
/// (https://RESOURCE.openai.azure.com/openai/v1/), SiliconFlow-style providers, a local server (our own `finetune serve`
/// at http://localhost:PORT/v1). Authentication is an API key, or Microsoft Entra ID for Azure (<see cref="UseEntraId"/>).
/// </summary>
public sealed record EndpointOptions
{
    public required Uri Endpoint { get; init; }
    public string? ApiKey { get; init; }

    /// <summary>Use Azure.Identity's DefaultAzureCredential (managed identity, az login, environment) instead of a key.</summary>
    public bool UseEntraId { get; init; }

    /// <summary>The Entra ID credential; null uses DefaultAzureCredential (managed identity, az login, environment).</summary>
    public TokenCredential? Credential { get; init; }

    /// <summary>Token scope for Entra ID; Azure OpenAI / AI Foundry use this one.</summary>
    public string EntraScope { get; init; } = "https://cognitiveservices.azure.com/.default";

    /// <summary>The HTTP client requests go through (proxies, custom certificates); null uses the SDK's own.</summary>
    public HttpClient? HttpClient { get; init; }

    public EndpointOptions Validated()
    {
        if (UseEntraId && Endpoint.Scheme != "https")
            throw new ArgumentException($"Entra ID tokens are only sent over https, and '{Endpoint}' is not", nameof(Endpoint));
        if (!Endpoint.IsAbsoluteUri || Endpoint.Scheme is not ("http" or "https"))
            throw new ArgumentException($"the endpoint must be an absolute http(s) URL, not '{Endpoint}'", nameof(Endpoint));
        if (UseEntraId && !string.IsNullOrEmpty(ApiKey))
            throw new ArgumentException("give either an API key or Entra ID, not both", nameof(ApiKey));
        return this;
    }
}
