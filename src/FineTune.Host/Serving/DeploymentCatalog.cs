using System.Collections.Concurrent;

namespace FineTune.Host.Serving;

/// <summary>
/// Deployments registered while the host runs: the hook for the pipeline's Deploy stage. Registering a job's
/// adapter folder (already on local disk) serves <c>ft:&lt;base&gt;:&lt;suffix&gt;:&lt;job-id&gt;</c> and, for each
/// checkpoints/epoch-N/ folder inside it, <c>…:ckpt-epoch-N</c>. Re-registering a job replaces its entries.
/// </summary>
public sealed class DeploymentCatalog(TimeProvider? time = null) : IAdapterCatalog
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, AdapterEntry[]> _byJob = new(StringComparer.Ordinal);

    /// <summary>
    /// Serves a trained job. <paramref name="adapterDirectory"/> is a PEFT folder or a training output (with adapter/ and
    /// checkpoints/epoch-N/). Returns the deployment's model id.
    /// </summary>
    public string Register(string baseModel, string suffix, string jobId, string adapterDirectory)
    {
        var id = ModelIds.Deployment(baseModel, suffix, jobId);
        var root = Path.GetFullPath(adapterDirectory);
        var final = File.Exists(Path.Combine(root, Models.Lora.LoraConfig.FileName)) ? root : Path.Combine(root, "adapter");
        if (!File.Exists(Path.Combine(final, Models.Lora.LoraConfig.FileName)))
            throw new ArgumentException($"{adapterDirectory} holds no PEFT adapter (adapter_config.json at its top or in adapter/)", nameof(adapterDirectory));
        var created = _time.GetUtcNow();
        var entries = new List<AdapterEntry> { new(id, final, created) };
        var checkpoints = Path.Combine(root, "checkpoints");
        if (Directory.Exists(checkpoints))
            entries.AddRange(FolderAdapterCatalog.Epochs(checkpoints).Select(c => new AdapterEntry(ModelIds.Checkpoint(id, c.Epoch), c.Path, created)));
        _byJob[jobId] = [.. entries];
        return id;
    }

    /// <summary>Stops serving a job's ids (loaded weights are unloaded when next evicted).</summary>
    public bool Unregister(string jobId) => _byJob.TryRemove(jobId, out _);

    public IReadOnlyList<AdapterEntry> List() => _byJob.Values.SelectMany(e => e).OrderBy(e => e.Id, StringComparer.Ordinal).ToArray();
}
