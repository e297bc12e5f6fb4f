namespace FineTune.Models.Chat;

/// <summary>No usable chat template: unrecognized, unsupported, or its special tokens are missing.</summary>
public sealed class ChatTemplateException(string message) : Exception(message);
