namespace FineTune.Pipeline.Storage;

/// <summary>A precondition failed: the ETag changed, the blob exists, or a lease is held by someone else (HTTP 409/412).</summary>
public sealed class StorageConflictException(string message) : Exception(message);
