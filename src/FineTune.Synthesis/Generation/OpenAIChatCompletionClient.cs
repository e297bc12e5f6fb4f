using System.ClientModel;
using System.ClientModel.Primitives;
using Azure.AI.OpenAI;
using Azure.Identity;
using OpenAI;
using OpenAI.Chat;

namespace FineTune.Synthesis;

/// <summary>
/// <see cref="IChatCompletionClient"/> over the official OpenAI .NET SDK's <see cref="ChatClient"/> (for an Azure OpenAI
/// resource, the one Azure.AI.OpenAI's <see cref="AzureOpenAIClient"/> makes for the deployment). The SDK's own
/// retries are switched off and its network timeout made infinite: <see cref="ResilientChatClient"/> (Polly) is the one
/// place that retries, times out and breaks the circuit, so attempts are counted once and Retry-After is honoured.
/// </summary>
public sealed class OpenAIChatCompletionClient : IChatCompletionClient
{
    private const string UserAgent = "finetune-synthesize";
    private readonly ChatClient _client;

    public OpenAIChatCompletionClient(ChatClient client) => _client = client;

    /// <summary>A client for <paramref name="model"/> (for an Azure OpenAI resource: the deployment name).</summary>
    public static OpenAIChatCompletionClient Create(EndpointOptions endpoint, string model)
    {
        endpoint.Validated();
        return new OpenAIChatCompletionClient(endpoint.IsAzureOpenAI ? AzureClient(endpoint, model) : OpenAIClient(endpoint, model));
    }

    /// <summary>No SDK retries (Polly retries in ResilientChatClient) and no SDK timeout (Polly's per-attempt one applies).</summary>
    private static T Configure<T>(T options, EndpointOptions endpoint) where T : ClientPipelineOptions
    {
        options.RetryPolicy = new ClientRetryPolicy(maxRetries: 0);
        options.NetworkTimeout = Timeout.InfiniteTimeSpan;
        if (endpoint.HttpClient is not null)
            options.Transport = new HttpClientPipelineTransport(endpoint.HttpClient);
        return options;
    }

    private static ChatClient AzureClient(EndpointOptions endpoint, string deployment)
    {
        var options = Configure(new AzureOpenAIClientOptions { UserAgentApplicationId = UserAgent }, endpoint);
        var resource = new Uri(endpoint.Endpoint.GetLeftPart(UriPartial.Authority));
        var client = endpoint.UsesEntraId
            ? new AzureOpenAIClient(resource, endpoint.Credential ?? new DefaultAzureCredential(), options)
            : new AzureOpenAIClient(resource, new ApiKeyCredential(endpoint.ApiKey!), options);
        return client.GetChatClient(deployment);
    }

    private static ChatClient OpenAIClient(EndpointOptions endpoint, string model)
    {
        var options = Configure(new OpenAIClientOptions { Endpoint = endpoint.Endpoint, UserAgentApplicationId = UserAgent }, endpoint);
#pragma warning disable OPENAI001 // the AuthenticationPolicy constructor is marked experimental; it is the SDK's way to use Entra ID
        return endpoint.UseEntraId
            ? new ChatClient(model, new BearerTokenPolicy(endpoint.Credential ?? new DefaultAzureCredential(), endpoint.EntraScope), options)
            // Local servers often need no key, but the SDK requires a non-empty one.
            : new ChatClient(model, new ApiKeyCredential(string.IsNullOrEmpty(endpoint.ApiKey) ? "none" : endpoint.ApiKey), options);
#pragma warning restore OPENAI001
    }

    public async Task<CompletionResult> CompleteAsync(string prompt, GenerationSettings settings, CancellationToken ct)
    {
        var options = new ChatCompletionOptions
        {
            Temperature = settings.Temperature,
            FrequencyPenalty = settings.FrequencyPenalty,
        };
        if (settings.LegacyMaxTokensField)
        {
#pragma warning disable SCME0001 // JSON patching is marked experimental; it is the SDK's way to send a field it does not model
            options.Patch.Set("$.max_tokens"u8, settings.MaxTokens);
#pragma warning restore SCME0001
        }
        else
            options.MaxOutputTokenCount = settings.MaxTokens; // sent as max_completion_tokens
        ChatCompletion completion = await _client.CompleteChatAsync([new UserChatMessage(prompt)], options, ct);
        var text = string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text));
        return new CompletionResult(
            text,
            completion.Usage?.InputTokenCount ?? 0,
            completion.Usage?.OutputTokenCount ?? 0,
            completion.FinishReason switch
            {
                ChatFinishReason.Stop => "stop",
                ChatFinishReason.Length => "length",
                ChatFinishReason.ContentFilter => "content_filter",
                var other => other.ToString().ToLowerInvariant(),
            });
    }
}
