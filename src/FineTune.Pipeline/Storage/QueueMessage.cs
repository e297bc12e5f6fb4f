namespace FineTune.Pipeline.Storage;

/// <summary>A received message; <see cref="PopReceipt"/> proves the receiver still owns it.</summary>
public sealed record QueueMessage(string Id, string PopReceipt, string Text, long DequeueCount, DateTimeOffset NextVisibleOn);
