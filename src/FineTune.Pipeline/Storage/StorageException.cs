namespace FineTune.Pipeline.Storage;

/// <summary>The storage service answered with an unexpected status; <see cref="IsTransient"/> marks 408/429/5xx.</summary>
public sealed class StorageException(string message, int status, string? errorCode) : Exception(message)
{
    public int Status { get; } = status;
    public string? ErrorCode { get; } = errorCode;
    public bool IsTransient => Status is 408 or 429 or >= 500;
}
