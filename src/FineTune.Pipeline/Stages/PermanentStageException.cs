namespace FineTune.Pipeline.Stages;

/// <summary>A fault no retry fixes (missing configuration, unsupported input): fails the job with this message.</summary>
public sealed class PermanentStageException(string message, Exception? inner = null) : Exception(message, inner);
