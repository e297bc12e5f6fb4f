using System.ClientModel;
using System.Text;
using FineTune.Models.Generation;
using OpenAI.Chat;

#pragma warning disable OPENAI001 // ChatCompletionOptions.Seed is marked experimental in the SDK

namespace FineTune.Host.Tests.Serving;

/// <summary>The served API through the official OpenAI .NET client, checked against generations run directly on the engine.</summary>
[Collection(ServingCollection.Name)]
public sealed class ChatCompletionsTests(ServingFixture fx)
{
    private static readonly (string, string)[] Hello = [("system", "You are terse."), ("user", "hello there, how are you?")];

    private static ChatMessage[] Sdk(IEnumerable<(string Role, string Content)> messages) => messages.Select(m => m.Role switch
    {
        "system" => (ChatMessage)new SystemChatMessage(m.Content),
        "assistant" => new AssistantChatMessage(m.Content),
        _ => new UserChatMessage(m.Content),
    }).ToArray();

    private static async Task<(string Text, ChatFinishReason? Finish, ChatTokenUsage? Usage, int Chunks)> StreamAsync(ChatClient client, ChatMessage[] messages, ChatCompletionOptions options)
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        int chunks = 0;
        await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
        {
            chunks++;
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }
        return (text.ToString(), finish, usage, chunks);
    }

    [Fact]
    public async Task GetModels_ListsBaseFolderAdaptersCheckpointsAndDeployments()
    {
        var models = (await fx.ModelsClient().GetModelsAsync()).Value.Select(m => m.Id).ToList();
        Assert.Equal(ServingFixture.BaseId, models[0]);
        foreach (var id in fx.AdapterDirs.Keys) Assert.Contains(id, models);
        Assert.Equal(1 + fx.AdapterDirs.Count, models.Count);
        var one = await fx.ModelsClient().GetModelAsync("alpha:ckpt-epoch-2");
        Assert.Equal("alpha:ckpt-epoch-2", one.Value.Id);
    }

    [Theory]
    [InlineData(ServingFixture.BaseId)]
    [InlineData("beta")]
    [InlineData(ServingFixture.DeploymentId + ":ckpt-epoch-1")]
    public async Task Greedy_StreamedTextEqualsNonStreamedAndEngineReference(string model)
    {
        var reference = fx.Reference(model, Hello, maxTokens: 40);
        var client = fx.Chat(model);
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 40 };

        ChatCompletion whole = await client.CompleteChatAsync(Sdk(Hello), options);
        var streamed = await StreamAsync(client, Sdk(Hello), options);

        Assert.Equal(reference.Text, whole.Content[0].Text);
        Assert.Equal(whole.Content[0].Text, streamed.Text);
        Assert.Equal(reference.Finish == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, whole.FinishReason);
        Assert.Equal(whole.FinishReason, streamed.Finish);
        var prompt = fx.Template.Render(Hello, addGenerationPrompt: true).ids.Length;
        Assert.Equal(prompt, whole.Usage.InputTokenCount);
        Assert.Equal(reference.Tokens.Length, whole.Usage.OutputTokenCount);
        Assert.Equal(prompt + reference.Tokens.Length, whole.Usage.TotalTokenCount);
        Assert.NotNull(streamed.Usage); // the SDK asks for stream_options.include_usage
        Assert.Equal(whole.Usage.OutputTokenCount, streamed.Usage!.OutputTokenCount);
        Assert.Equal(whole.Usage.InputTokenCount, streamed.Usage.InputTokenCount);
        Assert.True(streamed.Chunks >= 3, $"expected a stream of chunks, got {streamed.Chunks}");
    }

    [Fact]
    public async Task Adapters_ChangeTheOutput_AndEachIdServesItsOwnAdapter()
    {
        var texts = new Dictionary<string, string>();
        foreach (var id in new[] { ServingFixture.BaseId, "alpha", "alpha:ckpt-epoch-1", "gamma", ServingFixture.DeploymentId })
        {
            ChatCompletion c = await fx.Chat(id).CompleteChatAsync(Sdk(Hello), new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 });
            Assert.Equal(fx.Reference(id, Hello, 24).Text, c.Content[0].Text);
            texts[id] = c.Content[0].Text;
        }
        Assert.True(texts.Values.Distinct().Count() >= 4, "random adapters should make different outputs: " + string.Join(" | ", texts.Values));
    }

    [Fact]
    public async Task ConcurrentRequests_ForFiveModels_InterleaveOverOneBase_EachMatchingItsReference()
    {
        string[] ids = [ServingFixture.BaseId, "alpha", "beta", "gamma", "alpha:ckpt-epoch-2"];
        (string, string)[][] prompts = [[("user", "one two three")], [("user", "tell me a story about a cat")], [("user", "x")]];
        var before = fx.Worker.Stats;
        var calls = (from id in ids from p in prompts from round in Enumerable.Range(0, 2) select (id, p)).ToArray();
        var answers = await Task.WhenAll(calls.Select(async c =>
        {
            ChatCompletion r = await fx.Chat(c.id).CompleteChatAsync(Sdk(c.p), new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 });
            return r.Content[0].Text;
        }));
        for (int i = 0; i < calls.Length; i++)
            Assert.Equal(fx.Reference(calls[i].id, calls[i].p, 16).Text, answers[i]);
        var after = fx.Worker.Stats;
        Assert.Equal(calls.Length, after.Sequences - before.Sequences);
        Assert.True(after.Batches - before.Batches < calls.Length, "queued requests for the same adapter should share batches");
        Assert.True(after.AdapterEvictions > before.AdapterEvictions, "four adapters through a cache of two must evict");
        Assert.True(after.AdaptersLoaded <= 2);
    }

    [Fact]
    public async Task MaxTokens_CutsTheOutput_WithFinishReasonLength()
    {
        var reference = fx.Reference("gamma", Hello, 60);
        Assert.True(reference.Tokens.Length > 5, "the reference generation is too short for this test: " + reference.Tokens.Length);
        ChatCompletion c = await fx.Chat("gamma").CompleteChatAsync(Sdk(Hello), new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 5 });
        Assert.Equal(ChatFinishReason.Length, c.FinishReason);
        Assert.Equal(5, c.Usage.OutputTokenCount);
        Assert.Equal(fx.Tokenizer.Decode(reference.Tokens.Take(5), skipSpecial: true), c.Content[0].Text);
    }

    [Fact]
    public async Task StopSequence_EndsTheTextBeforeIt_StreamedAndNot()
    {
        var full = fx.Reference("alpha", Hello, 60).Text;
        Assert.True(full.Length >= 8, "reference text too short: " + full);
        var stop = full.Substring(full.Length / 2, 3);
        var expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 60 };
        options.StopSequences.Add(stop);
        options.StopSequences.Add("\u2603never");

        ChatCompletion whole = await fx.Chat("alpha").CompleteChatAsync(Sdk(Hello), options);
        var streamed = await StreamAsync(fx.Chat("alpha"), Sdk(Hello), options);

        Assert.Equal(expected, whole.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, whole.FinishReason);
        Assert.Equal(expected, streamed.Text);
        Assert.Equal(ChatFinishReason.Stop, streamed.Finish);
    }

    [Fact]
    public async Task Sampling_WithSeed_Repeats_AndTopPNearZeroIsGreedy()
    {
        var client = fx.Chat("beta");
        var seeded = new ChatCompletionOptions { Temperature = 1.5f, TopP = 1, Seed = 1234, MaxOutputTokenCount = 30 };
        ChatCompletion a = await client.CompleteChatAsync(Sdk(Hello), seeded);
        var b = await StreamAsync(client, Sdk(Hello), seeded);
        Assert.Equal(a.Content[0].Text, b.Text);

        var texts = new HashSet<string>();
        for (int seed = 1; seed <= 4; seed++)
        {
            ChatCompletion s = await client.CompleteChatAsync(Sdk(Hello), new ChatCompletionOptions { Temperature = 1.5f, Seed = seed, MaxOutputTokenCount = 30 });
            texts.Add(s.Content[0].Text);
        }
        Assert.True(texts.Count >= 2, "different seeds at temperature 1.5 should sample different texts");

        ChatCompletion nucleus = await client.CompleteChatAsync(Sdk(Hello), new ChatCompletionOptions { Temperature = 1, TopP = 1e-6f, MaxOutputTokenCount = 30 });
        Assert.Equal(fx.Reference("beta", Hello, 30).Text, nucleus.Content[0].Text);
    }

    [Fact]
    public async Task LogitBias_ForcesAToken_AndPenalties_ChangeARepetitiveOutput_StreamedAsNot()
    {
        var reference = fx.Reference("gamma", Hello, 24);
        var forced = reference.Tokens[0] == 300 ? 301 : 300;
        var biased = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 6 };
        biased.LogitBiases[forced] = 100;
        ChatCompletion b = await fx.Chat("gamma").CompleteChatAsync(Sdk(Hello), biased);
        Assert.Equal(fx.Tokenizer.Decode(Enumerable.Repeat(forced, 6).ToArray(), skipSpecial: true), b.Content[0].Text);

        // The greedy reference repeats tokens (a random tiny model does), so penalising repeats must change the text.
        Assert.True(reference.Tokens.Distinct().Count() < reference.Tokens.Length, "the reference should repeat a token");
        var penalised = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24, FrequencyPenalty = 2, PresencePenalty = 2 };
        ChatCompletion p = await fx.Chat("gamma").CompleteChatAsync(Sdk(Hello), penalised);
        Assert.NotEqual(reference.Text, p.Content[0].Text);
        var streamed = await StreamAsync(fx.Chat("gamma"), Sdk(Hello), penalised);
        Assert.Equal(p.Content[0].Text, streamed.Text);
    }

    [Fact]
    public async Task UnknownModel_Is404ModelNotFound_ThroughTheSdk()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => fx.Chat("ft:nope:x:y").CompleteChatAsync(Sdk(Hello)));
        Assert.Equal(404, e.Status);
        Assert.Contains("model_not_found", e.Message);
    }
}
