namespace FineTune.Pipeline.Storage;

/// <summary>An open blob: the content of one version and that version's properties. Dispose to close.</summary>
public sealed class BlobDownload(Stream content, BlobProperties properties) : IAsyncDisposable, IDisposable
{
    public Stream Content { get; } = content;
    public BlobProperties Properties { get; } = properties;
    public ValueTask DisposeAsync() => Content.DisposeAsync();
    public void Dispose() => Content.Dispose();
}
