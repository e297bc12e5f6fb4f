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
}
