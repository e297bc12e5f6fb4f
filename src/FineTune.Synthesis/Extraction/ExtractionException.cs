namespace FineTune.Synthesis;

/// <summary>A document could not be turned into text (missing tool, unsupported or corrupt file).</summary>
public sealed class ExtractionException(string message, Exception? inner = null) : Exception(message, inner);
