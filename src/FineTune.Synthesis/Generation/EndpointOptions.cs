using Azure.Core;

namespace FineTune.Synthesis;

/// <summary>
/// Where the model lives. Any OpenAI-compatible base URL: https://api.openai.com/v1, an Azure OpenAI v1 endpoint
/// (https://RESOURCE.openai.azure.com/openai/v1/), SiliconFlow-style providers, a local server (our own `finetune serve`
/// at http://localhost:PORT/v1); or an Azure OpenAI resource (https://RESOURCE.openai.azure.com/), whose deployments
/// are called through Azure.AI.OpenAI's AzureOpenAIClient (<see cref="IsAzureOpenAI"/>). Authentication is an API key,
/// or Microsoft Entra ID for Azure (<see cref="UseEntraId"/>; an Azure OpenAI resource without a key uses it too).
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

    /// <summary>
    /// Call the endpoint as an Azure OpenAI resource: <c>/openai/deployments/{model}/chat/completions?api-version=…</c>
    /// with an <c>api-key</c> header or an Entra ID token. Null: yes for an <c>*.openai.azure.com</c> host, unless the
    /// URL is its OpenAI-compatible v1 API (<c>/openai/v1/</c>), which the OpenAI client calls as any other.
    /// </summary>
    public bool? AzureOpenAI { get; init; }

    public bool IsAzureOpenAI => AzureOpenAI ?? (Endpoint.Host.EndsWith(".openai.azure.com", StringComparison.OrdinalIgnoreCase)
        && !Endpoint.AbsolutePath.TrimEnd('/').EndsWith("/openai/v1", StringComparison.OrdinalIgnoreCase));

    /// <summary>Entra ID is used: asked for, or an Azure OpenAI resource with no API key.</summary>
    public bool UsesEntraId => UseEntraId || (IsAzureOpenAI && string.IsNullOrEmpty(ApiKey));

    /// <summary>The HTTP client requests go through (proxies, custom certificates); null uses the SDK's own.</summary>
    public HttpClient? HttpClient { get; init; }

    public EndpointOptions Validated()
    {
        if (UsesEntraId && Endpoint.Scheme != "https")
            throw new ArgumentException($"Entra ID tokens are only sent over https, and '{Endpoint}' is not", nameof(Endpoint));
        if (!Endpoint.IsAbsoluteUri || Endpoint.Scheme is not ("http" or "https"))
            throw new ArgumentException($"the endpoint must be an absolute http(s) URL, not '{Endpoint}'", nameof(Endpoint));
        if (UseEntraId && !string.IsNullOrEmpty(ApiKey))
            throw new ArgumentException("give either an API key or Entra ID, not both", nameof(ApiKey));
        return this;
    }
}
