namespace FineTune.Pipeline.Storage;

/// <summary>What a blob listing or HEAD returns. <see cref="ETag"/> is opaque and changes on every write.</summary>
public sealed record BlobProperties(string Name, string ETag, long Length, DateTimeOffset LastModified, byte[]? ContentMd5 = null)
{
    /// <summary>The ETag without quotes, as Event Grid reports it.</summary>
    public string BareETag => ETag.Trim('"');
}
