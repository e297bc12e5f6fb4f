namespace FineTune.Pipeline.Storage;

/// <summary>An operation that needs an existing blob, container or queue found none (HTTP 404).</summary>
public sealed class StorageNotFoundException(string message) : Exception(message);
