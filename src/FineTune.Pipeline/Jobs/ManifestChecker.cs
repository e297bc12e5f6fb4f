using FineTune.Pipeline.Storage;
using FineTune.Training;
using Microsoft.Extensions.Options;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// Checks a manifest completely before any stage runs: its own fields and sizes, the preset and every hyperparameter
/// (with the trainer's own parser and ranges), and that baseModel, evalSet and generalData exist. A local baseModel must
/// lie under a configured model root; the message for one that does not never says whether the path exists. A name of
/// <see cref="PipelineOptions.LocalModels"/> is a local model too (its folder is never shown).
/// </summary>
public sealed class ManifestChecker(StorageAccount storage, IOptions<PipelineOptions> options)
{
    public async Task<IReadOnlyList<string>> CheckAsync(JobManifest manifest, CancellationToken ct)
    {
        var problems = new List<string>(manifest.Check());
        problems.AddRange(HyperparameterManifest.Check(manifest.Preset, manifest.Hyperparameters));
        if (manifest.BaseModel is not { Length: > 0 } model)
            problems.Add("baseModel is required: a storage folder \"models/NAME\" or a model folder under the host's model roots");
        else if (await ModelProblemAsync(model, ct) is { } modelProblem)
            problems.Add(modelProblem);
        if (manifest.EvalSet is { } evalSet
            && await storage.Blobs.GetPropertiesAsync(Containers.Datasets, evalSet, ct) is null
            && await storage.Blobs.GetPropertiesAsync(Containers.Uploads, evalSet, ct) is null)
            problems.Add($"evalSet \"{evalSet}\" was found neither in datasets/ nor in uploads/");
        if (manifest.GeneralData is { Dataset.Length: > 0 } mix && await storage.Blobs.GetPropertiesAsync(Containers.Datasets, mix.Dataset, ct) is null)
            problems.Add($"generalData.dataset \"{mix.Dataset}\" does not exist in datasets/");
        return problems;
    }

    private async Task<string?> ModelProblemAsync(string model, CancellationToken ct)
    {
        if (Path.IsPathRooted(model))
        {
            var full = Path.GetFullPath(model);
            var roots = options.Value.ModelRoots.Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r))).ToList();
            if (!roots.Any(r => full == r || full.StartsWith(r + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
                return $"baseModel \"{model}\" is not under a configured model root ({(roots.Count == 0 ? "none configured: use models/NAME in storage" : "Pipeline:ModelRoots")})";
            return File.Exists(Path.Combine(full, "config.json")) ? null : $"baseModel \"{model}\" has no config.json";
        }
        if (options.Value.LocalModels.TryGetValue(model, out var named))
            return File.Exists(Path.Combine(named, "config.json")) ? null : $"baseModel \"{model}\" has no config.json";
        var slash = model.IndexOf('/');
        if (slash <= 0 || slash == model.Length - 1 || model.Contains(".."))
            return $"baseModel \"{model}\" must be a storage folder such as \"models/NAME\" or an absolute path under a model root";
        var (container, prefix) = (model[..slash], model[(slash + 1)..].TrimEnd('/'));
        if (!Containers.All.Contains(container))
            return $"baseModel \"{model}\": \"{container}\" is not a FineTune container (use models/NAME)";
        return await storage.Blobs.GetPropertiesAsync(container, $"{prefix}/config.json", ct) is null
            ? $"baseModel \"{model}\" has no config.json in storage"
            : null;
    }
}
