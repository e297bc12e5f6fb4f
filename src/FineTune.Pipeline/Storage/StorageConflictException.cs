namespace FineTune.Pipeline.Storage;

/// <summary>A precondition failed: the ETag changed or the blob exists (HTTP 409/412).</summary>
public sealed class StorageConflictException(string message, Exception? inner = null) : Exception(message, inner);
