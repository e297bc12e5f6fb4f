namespace FineTune.Models.Tokenization;

/// <summary>tokenizer.json / tokenizer_config.json is malformed or uses a component this reader does not implement.</summary>
public sealed class TokenizerFormatException(string message, Exception? inner = null) : Exception(message, inner);
