using System.ClientModel;
using System.ClientModel.Primitives;
using Azure.Identity;
using OpenAI;
using OpenAI.Chat;

namespace FineTune.Synthesis;

/// <summary>
/// <see cref="IChatCompletionClient"/> over the official OpenAI .NET SDK's <see cref="ChatClient"/>. The SDK's own
/// retries are switched off and its network timeout made infinite: <see cref="ResilientChatClient"/> (Polly) is the one
/// place that retries, times out and breaks the circuit, so attempts are counted once and Retry-After is honoured.
/// </summary>
public sealed class OpenAIChatCompletionClient : IChatCompletionClient
{
    private readonly ChatClient _client;

    public OpenAIChatCompletionClient(ChatClient client) => _client = client;

    public static OpenAIChatCompletionClient Create(EndpointOptions endpoint, string model)
    {
        endpoint.Validated();
        var options = new OpenAIClientOptions
        {
            Endpoint = endpoint.Endpoint,
            // No SDK retries: Polly retries (with jitter, Retry-After and a circuit breaker) in ResilientChatClient.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // Polly's per-attempt timeout applies; the SDK's default (100 s) would race it.
            NetworkTimeout = Timeout.InfiniteTimeSpan,
            UserAgentApplicationId = "finetune-synthesize",
        };
        if (endpoint.HttpClient is not null)
            options.Transport = new HttpClientPipelineTransport(endpoint.HttpClient);
#pragma warning disable OPENAI001 // the AuthenticationPolicy constructor is marked experimental; it is the SDK's way to use Entra ID
        var client = endpoint.UseEntraId
            ? new ChatClient(model, new BearerTokenPolicy(endpoint.Credential ?? new DefaultAzureCredential(), endpoint.EntraScope), options)
            // Local servers often need no key, but the SDK requires a non-empty one.
            : new ChatClient(model, new ApiKeyCredential(string.IsNullOrEmpty(endpoint.ApiKey) ? "none" : endpoint.ApiKey), options);
#pragma warning restore OPENAI001
        return new OpenAIChatCompletionClient(client);
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
