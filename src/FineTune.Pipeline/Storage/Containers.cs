namespace FineTune.Pipeline.Storage;

/// <summary>The containers of a FineTune storage account. Durable Task keeps its own task hub beside them.</summary>
public static class Containers
{
    public const string Uploads = "uploads";
    public const string Datasets = "datasets";
    public const string Models = "models";
    public const string Jobs = "jobs";
    public const string Adapters = "adapters";
    public const string Deployments = "deployments";

    public static IReadOnlyList<string> All { get; } = [Uploads, Datasets, Models, Jobs, Adapters, Deployments];
}
