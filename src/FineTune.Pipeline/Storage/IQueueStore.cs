namespace FineTune.Pipeline.Storage;

/// <summary>
/// Queues with visibility timeouts (Azure Queue Storage semantics): a received message is hidden for the
/// visibility timeout and reappears unless deleted with its current pop receipt.
/// </summary>
public interface IQueueStore
{
    Task CreateQueueAsync(string queue, CancellationToken ct = default);

    /// <summary>Adds a message, invisible for <paramref name="initialDelay"/> (a durable timer) when given.</summary>
    Task SendAsync(string queue, string text, TimeSpan? initialDelay = null, CancellationToken ct = default);

    /// <summary>Up to <paramref name="maxMessages"/> visible messages, each hidden for <paramref name="visibilityTimeout"/>.</summary>
    Task<IReadOnlyList<QueueMessage>> ReceiveAsync(string queue, int maxMessages, TimeSpan visibilityTimeout, CancellationToken ct = default);

    /// <summary>Hides the message for a new timeout; null when the message was lost (deleted or received again).</summary>
    Task<QueueMessage?> UpdateVisibilityAsync(string queue, QueueMessage message, TimeSpan visibilityTimeout, CancellationToken ct = default);

    /// <summary>Deletes the message; false when its pop receipt is no longer current.</summary>
    Task<bool> DeleteAsync(string queue, QueueMessage message, CancellationToken ct = default);
}
