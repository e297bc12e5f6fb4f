using FineTune.Host.Serving;
using FineTune.Pipeline.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FineTune.Host.WebConsole;

/// <summary>
/// GET /api/base-models: the model this host serves (when `--model` is given) and every <c>models/NAME/</c> folder in
/// storage holding a config.json; each with the value a manifest's baseModel takes to train on it.
/// </summary>
public static class BaseModelCatalog
{
    public static async Task<Ok<List<BaseModelInfo>>> ListAsync(StorageAccount storage, IServiceProvider services, CancellationToken ct)
    {
        var models = new List<BaseModelInfo>();
        if (services.GetService(typeof(ServingOptions)) is ServingOptions serving)
            models.Add(new BaseModelInfo(serving.ResolvedBaseModelId, Path.GetFullPath(serving.ModelDirectory), Served: true));
        await foreach (var blob in storage.Blobs.ListAsync(Containers.Models, ct: ct))
        {
            var parts = blob.Name.Split('/');
            if (parts is [var name, "config.json"] && !name.StartsWith('.'))
                models.Add(new BaseModelInfo(name, $"{Containers.Models}/{name}", Served: false));
        }
        return TypedResults.Ok(models);
    }
}
