namespace FineTune.Synthesis;

/// <summary>The job cannot go on (the endpoint rejected the key, the model or the URL); nothing retried fixes it.</summary>
public sealed class SynthesisException(string message, Exception? inner = null) : Exception(message, inner);
