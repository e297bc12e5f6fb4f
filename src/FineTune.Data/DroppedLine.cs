namespace FineTune.Data;

/// <summary>A record left out of the kept examples, with the code and message of its first error.</summary>
public sealed record DroppedLine(long Line, string Code, string Message);
