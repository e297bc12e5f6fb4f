namespace FineTune.Models.Checkpoints;

/// <summary>A checkpoint file (config.json, safetensors, index) is malformed or asks for something unsupported.</summary>
public sealed class CheckpointFormatException(string message, Exception? inner = null) : Exception(message, inner);
