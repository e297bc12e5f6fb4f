namespace FineTune.Host.Serving;

/// <summary>Maps a request's model id to the base model (null adapter) or an adapter from the catalogs, in their registration order.</summary>
public sealed class ModelResolver(ServedModel served, IEnumerable<IAdapterCatalog> catalogs)
{
    private readonly IAdapterCatalog[] _catalogs = [.. catalogs];

    /// <summary>The base model first, then every catalogued adapter (an id listed twice is served by the first catalog).</summary>
    public IReadOnlyList<AdapterEntry> List()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { served.Id };
        var all = new List<AdapterEntry> { new(served.Id, served.Directory, served.Created) };
        foreach (var catalog in _catalogs)
            all.AddRange(catalog.List().Where(e => seen.Add(e.Id)));
        return all;
    }

    /// <summary>Null for the base model; throws the 404 for an id not served (saying why when a catalog refused it).</summary>
    public AdapterEntry? Resolve(string model)
    {
        if (model == served.Id) return null;
        foreach (var catalog in _catalogs)
            if (catalog.Find(model) is { } entry)
                return entry;
        throw NotServed(model);
    }

    /// <summary><see cref="Resolve"/> for a request: an adapter whose cached files were deleted is fetched again first.</summary>
    public async ValueTask<AdapterEntry?> ResolveAsync(string model, CancellationToken ct)
    {
        if (model == served.Id) return null;
        foreach (var catalog in _catalogs)
            if (await catalog.FindAsync(model, ct) is { } entry)
                return entry;
        throw NotServed(model);
    }

    /// <summary>The 404 for an id not served: model_not_found, or base_model_mismatch with the reason an adapter was refused.</summary>
    public OpenAiError NotServed(string model) =>
        _catalogs.Select(c => c.Refusal(model)).FirstOrDefault(r => r is not null) is { } why
            ? OpenAiError.BaseModelMismatch(model, why)
            : OpenAiError.ModelNotFound(model);
}
