namespace FineTune.Pipeline.Storage;

/// <summary>The containers and queues of a FineTune storage account.</summary>
public static class Containers
{
    public const string Uploads = "uploads";
    public const string Datasets = "datasets";
    public const string Models = "models";
    public const string Jobs = "jobs";
    public const string Adapters = "adapters";
    public const string Deployments = "deployments";

    public static IReadOnlyList<string> All { get; } = [Uploads, Datasets, Models, Jobs, Adapters, Deployments];

    /// <summary>Wakes job workers: each message names a job to advance.</summary>
    public const string JobQueue = "finetune-jobs";
    /// <summary>Messages that failed more than maxDequeueCount times.</summary>
    public const string JobPoisonQueue = "finetune-jobs-poison";
}
