namespace FineTune.Host.Serving;

/// <summary>
/// Where served adapter ids come from. Every registered catalog is asked, in registration order; the first that
/// knows an id wins. Implementations: <see cref="FolderAdapterCatalog"/> (`--adapters DIR`) and
/// <see cref="DeploymentCatalog"/> (deployments registered by the pipeline's Deploy stage).
/// </summary>
public interface IAdapterCatalog
{
    IReadOnlyList<AdapterEntry> List();

    AdapterEntry? Find(string id) => List().FirstOrDefault(e => e.Id == id);

    /// <summary><see cref="Find"/>, with the adapter's files on local disk: a catalog that caches them fetches deleted ones again.</summary>
    ValueTask<AdapterEntry?> FindAsync(string id, CancellationToken ct) => ValueTask.FromResult(Find(id));

    /// <summary>Why an id this catalog holds is not served (an adapter trained on another base); null when it is served or unknown here.</summary>
    string? Refusal(string id) => null;
}
