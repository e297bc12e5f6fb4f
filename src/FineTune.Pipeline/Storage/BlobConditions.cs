namespace FineTune.Pipeline.Storage;

/// <summary>Preconditions of a write or delete (HTTP If-Match / If-None-Match: *).</summary>
public sealed record BlobConditions(string? IfMatch = null, bool IfNoneMatchAny = false)
{
    public static BlobConditions CreateOnly { get; } = new(IfNoneMatchAny: true);
    public static BlobConditions Matching(string etag) => new(IfMatch: etag);
}
