using FineTune.Host.Serving;
using FineTune.Pipeline;
using FineTune.Pipeline.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace FineTune.Host.WebConsole;

/// <summary>
/// GET /api/base-models: the local models a manifest may name (<see cref="PipelineOptions.LocalModels"/>: the model this
/// host serves with `--model` is one, under its id) and every <c>models/NAME/</c> folder in storage holding a config.json;
/// each with the value a manifest's baseModel takes to train on it. Names only: no server folder is shown.
/// </summary>
public static class BaseModelCatalog
{
    public static async Task<Ok<List<BaseModelInfo>>> ListAsync(StorageAccount storage, IOptions<PipelineOptions> pipeline, IServiceProvider services,
        CancellationToken ct)
    {
        var served = (services.GetService(typeof(ServingOptions)) as ServingOptions)?.ResolvedBaseModelId;
        var models = pipeline.Value.LocalModels.Keys
            .OrderBy(name => name != served).ThenBy(name => name, StringComparer.Ordinal)
            .Select(name => new BaseModelInfo(name, name, Served: name == served))
            .ToList();
        await foreach (var blob in storage.Blobs.ListAsync(Containers.Models, ct: ct))
        {
            var parts = blob.Name.Split('/');
            if (parts is [var name, "config.json"] && !name.StartsWith('.'))
                models.Add(new BaseModelInfo(name, $"{Containers.Models}/{name}", Served: false));
        }
        return TypedResults.Ok(models);
    }
}
