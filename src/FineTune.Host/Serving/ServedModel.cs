using FineTune.Models.Chat;
using FineTune.Models.Lora;
using FineTune.Models.Tokenization;
using FineTune.Models.Transformer;

namespace FineTune.Host.Serving;

/// <summary>
/// The one base model in memory, with its tokenizer and chat template. The <see cref="GenerationWorker"/>, the only
/// code that runs forwards on it, sets the loaded adapters on it stacked (one slot per adapter, chosen per row).
/// </summary>
public sealed class ServedModel : IDisposable
{
    public ServedModel(string id, string directory)
    {
        Id = id;
        Directory = Path.GetFullPath(directory);
        Tokenizer = Tokenizer.Load(Directory);
        Template = ChatTemplate.ForTokenizer(Tokenizer);
        Model = ModelLoader.Load(Directory);
        EosTokenIds = Model.Config.EosTokenIds.Append(Template.EndOfTurnTokenId).Distinct().ToArray();
        Created = new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(Directory, "config.json")), TimeSpan.Zero);
        Identity = BaseModelIdentity.Of(Directory, id);
    }

    public string Id { get; }
    public string Directory { get; }
    public DateTimeOffset Created { get; }
    public DecoderModel Model { get; }
    public Tokenizer Tokenizer { get; }
    public ChatTemplate Template { get; }
    /// <summary>The config's eos ids and the template's end-of-turn token: generation stops on any of them.</summary>
    public IReadOnlyList<int> EosTokenIds { get; }
    public int ContextLength => Model.Config.MaxPositionEmbeddings;
    /// <summary>Architecture and weights fingerprint: an adapter whose base_model.json names another base is not served.</summary>
    public BaseModelIdentity Identity { get; }

    /// <summary>
    /// Why adapter <paramref name="adapterId"/>, trained on <paramref name="trainedOn"/>, must not run on this base; null when it
    /// may (the same base, or an adapter that does not record its base). <paramref name="trainedOnName"/> names that base in the
    /// message when the caller knows it better (a deployment record's baseModel).
    /// </summary>
    public string? Refusal(string adapterId, BaseModelIdentity? trainedOn, string? trainedOnName = null)
    {
        if (trainedOn?.Difference(Identity) is not { } difference) return null;
        var name = string.IsNullOrEmpty(trainedOnName) ? trainedOn.Name : trainedOnName;
        return $"adapter '{adapterId}' was trained on base {name} ({trainedOn.Architecture}); this host serves {Id} ({Identity.Architecture})"
            + (trainedOn.Architecture == Identity.Architecture ? $": {difference}" : "");
    }

    public void Dispose() => Model.Dispose();
}
