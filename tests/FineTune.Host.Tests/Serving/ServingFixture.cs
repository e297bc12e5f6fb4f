using System.ClientModel;
using System.ClientModel.Primitives;
using FineTune.Host.Serving;
using FineTune.Host.Tests.Support;
using FineTune.Models.Chat;
using FineTune.Models.Checkpoints;
using FineTune.Models.Generation;
using FineTune.Models.Lora;
using FineTune.Models.Tokenization;
using FineTune.Models.Transformer;
using FineTune.Tests.Support;
using FineTune.Torch;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace FineTune.Host.Tests.Serving;

/// <summary>
/// A tiny random Qwen2 checkpoint, four random LoRA adapters in an --adapters folder (one as a training output with
/// two epoch checkpoints) plus a registered deployment, and the real host serving them on loopback with the
/// adapter cache limited to 2 so that cycling through them evicts. Also holds an independent copy of the model
/// for reference generations.
/// </summary>
public sealed class ServingFixture : IAsyncLifetime
{
    public const string BaseId = "tiny-qwen2";
    public const string DeploymentId = "ft:tiny-qwen2:support:job42";
    public static readonly string[] FolderAdapters = ["alpha", "beta", "gamma"];

    private readonly Lock _referenceLock = new();
    private DecoderModel? _reference;

    public string Root { get; } = RepoPaths.NewTempDirectory("serving");
    public string ModelDir => Path.Combine(Root, "model");
    public string AdaptersDir => Path.Combine(Root, "adapters");
    public string DeploymentDir => Path.Combine(Root, "job42");
    public TestHost Host { get; private set; } = null!;
    public Tokenizer Tokenizer { get; private set; } = null!;
    public ChatTemplate Template { get; private set; } = null!;
    public GenerationWorker Worker => Host.Services.GetRequiredService<GenerationWorker>();

    /// <summary>Every adapter id with its folder.</summary>
    public Dictionary<string, string> AdapterDirs { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        LibTorch.ConfigureThreads(2);
        ModelFolder.Create(ModelDir, ModelPresets.TinyQwen2, seed: 11);
        _reference = ModelLoader.Load(ModelDir);
        Tokenizer = Tokenizer.Load(ModelDir);
        Template = ChatTemplate.ForTokenizer(Tokenizer);
        LibTorch.ManualSeed(5);
        WriteAdapter(Path.Combine(AdaptersDir, "alpha", "adapter"));
        WriteAdapter(Path.Combine(AdaptersDir, "alpha", "checkpoints", "epoch-1"));
        WriteAdapter(Path.Combine(AdaptersDir, "alpha", "checkpoints", "epoch-2"));
        WriteAdapter(Path.Combine(AdaptersDir, "beta"));
        WriteAdapter(Path.Combine(AdaptersDir, "gamma"));
        WriteAdapter(Path.Combine(DeploymentDir, "adapter"));
        WriteAdapter(Path.Combine(DeploymentDir, "checkpoints", "epoch-1"));
        AdapterDirs["alpha"] = Path.Combine(AdaptersDir, "alpha", "adapter");
        AdapterDirs["alpha:ckpt-epoch-1"] = Path.Combine(AdaptersDir, "alpha", "checkpoints", "epoch-1");
        AdapterDirs["alpha:ckpt-epoch-2"] = Path.Combine(AdaptersDir, "alpha", "checkpoints", "epoch-2");
        AdapterDirs["beta"] = Path.Combine(AdaptersDir, "beta");
        AdapterDirs["gamma"] = Path.Combine(AdaptersDir, "gamma");
        AdapterDirs[DeploymentId] = Path.Combine(DeploymentDir, "adapter");
        AdapterDirs[DeploymentId + ":ckpt-epoch-1"] = Path.Combine(DeploymentDir, "checkpoints", "epoch-1");

        var options = new ServingOptions { ModelDirectory = ModelDir, BaseModelId = BaseId, AdaptersDirectory = AdaptersDir, MaxLoadedAdapters = 2 };
        Host = await TestHost.StartAsync(configure: b => b.Services.AddFineTuneServing(options));
        var registered = Host.Services.GetRequiredService<DeploymentCatalog>().Register(BaseId, "support", "job42", DeploymentDir);
        Assert.Equal(DeploymentId, registered);
    }

    private void WriteAdapter(string dir)
    {
        using var adapter = LoraAdapter.Create(_reference!, new LoraConfig { Rank = 4, Alpha = 8 });
        using (LibTorch.NoGrad())
            foreach (var m in adapter.Modules.Values)
            {
                using var r = Tensor.Randn(m.B.Shape).Mul(0.3);
                m.B.CopyFrom(r);
            }
        adapter.Save(dir);
    }

    public ChatClient Chat(string model) => new(model, new ApiKeyCredential("not-checked-on-loopback"), ClientOptions());

    public OpenAIModelClient ModelsClient() => new(new ApiKeyCredential("not-checked-on-loopback"), ClientOptions());

    private OpenAIClientOptions ClientOptions() => new()
    {
        Endpoint = new Uri(Host.BaseUrl + "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Greedy tokens and text of the conversation, generated alone on the reference copy (null model id: the base).</summary>
    public (int[] Tokens, string Text, FinishReason Finish) Reference(string modelId, IReadOnlyList<(string, string)> messages, int maxTokens)
    {
        lock (_referenceLock)
        {
            var prompt = Template.Render(messages, addGenerationPrompt: true).ids;
            LoraAdapter? adapter = modelId == BaseId ? null : LoraAdapter.Load(AdapterDirs[modelId], _reference!);
            try
            {
                if (adapter is null) LoraAdapter.RemoveFrom(_reference!);
                else adapter.AttachTo(_reference!);
                var eos = _reference!.Config.EosTokenIds.Append(Template.EndOfTurnTokenId).Distinct().ToArray();
                var result = new Generator(_reference!).Generate([prompt], new SamplingOptions { MaxNewTokens = maxTokens, EosTokenIds = eos })[0];
                return (result.Tokens, Tokenizer.Decode(result.Tokens, skipSpecial: true), result.FinishReason);
            }
            finally
            {
                LoraAdapter.RemoveFrom(_reference!);
                adapter?.Dispose();
            }
        }
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        _reference?.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class ServingCollection : ICollectionFixture<ServingFixture>
{
    public const string Name = "serving";
}
