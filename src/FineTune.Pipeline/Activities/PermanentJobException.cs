namespace FineTune.Pipeline.Activities;

/// <summary>
/// A fault no retry fixes (missing configuration, unreadable input): the activity fails at once, without Durable's retries,
/// and the job fails with this message. Any other exception from an activity is taken as transient and retried.
/// </summary>
public sealed class PermanentJobException(string message, Exception? inner = null) : Exception(message, inner);
