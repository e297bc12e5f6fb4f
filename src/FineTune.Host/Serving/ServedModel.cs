using FineTune.Models.Chat;
using FineTune.Models.Tokenization;
using FineTune.Models.Transformer;

namespace FineTune.Host.Serving;

/// <summary>
/// The one base model in memory, with its tokenizer and chat template. Adapters are set on it per batch by the
/// <see cref="GenerationWorker"/>, the only code that runs forwards on it.
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

    public void Dispose() => Model.Dispose();
}
