namespace FineTune.Pipeline.Orchestration;

/// <summary>
/// Thrown by the orchestrator to end a job Failed with a reason a user can act on; the message is the orchestration's
/// failure message, and the custom status (stage, error, report) says where.
/// </summary>
public sealed class JobFailedException(string message) : Exception(message);
