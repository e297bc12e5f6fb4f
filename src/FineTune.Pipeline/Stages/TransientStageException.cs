namespace FineTune.Pipeline.Stages;

/// <summary>A fault worth retrying (with backoff) that is not an I/O exception, e.g. synthesis chunks that failed this time.</summary>
public sealed class TransientStageException(string message, Exception? inner = null) : Exception(message, inner);
