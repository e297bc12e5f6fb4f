using System.Collections.Concurrent;
using FineTune.Models.Lora;

namespace FineTune.Host.Serving;

/// <summary>
/// Deployments registered while the host runs: the hook for the pipeline's Deploy stage. Registering a job's
/// adapter folder (already on local disk) serves <c>ft:&lt;base&gt;:&lt;suffix&gt;:&lt;job-id&gt;</c> and, for each
/// checkpoints/epoch-N/ folder inside it, <c>…:ckpt-epoch-N</c>. A deployment is keyed by its suffix (the deployment's
/// name): registering the name again replaces its entries, whichever job they came from. A refused deployment (trained
/// on another base) lists nothing, and a request naming its job learns why.
/// </summary>
public sealed class DeploymentCatalog(TimeProvider? time = null) : IAdapterCatalog
{
    private sealed record Deployment(string JobId, AdapterEntry[] Entries, string? Refusal, Func<CancellationToken, Task>? Fetch)
    {
        public SemaphoreSlim FetchGate { get; } = new(1, 1);
    }

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Deployment> _byName = new(StringComparer.Ordinal);

    /// <summary>
    /// Serves a trained job. <paramref name="adapterDirectory"/> is a PEFT folder or a training output (with adapter/ and
    /// checkpoints/epoch-N/). <paramref name="fetch"/>, when given, copies the folder's files again (from storage): a request
    /// for an adapter whose files were deleted from disk calls it before running. Returns the deployment's model id.
    /// </summary>
    public string Register(string baseModel, string suffix, string jobId, string adapterDirectory, Func<CancellationToken, Task>? fetch = null)
    {
        var id = ModelIds.Deployment(baseModel, suffix, jobId);
        var root = Path.GetFullPath(adapterDirectory);
        var final = FinalAdapter(root);
        if (!File.Exists(Path.Combine(final, LoraConfig.FileName)))
            throw new ArgumentException($"{adapterDirectory} holds no PEFT adapter (adapter_config.json at its top or in adapter/)", nameof(adapterDirectory));
        var created = _time.GetUtcNow();
        var entries = new List<AdapterEntry> { new(id, final, created) };
        var checkpoints = Path.Combine(root, "checkpoints");
        if (Directory.Exists(checkpoints))
            entries.AddRange(FolderAdapterCatalog.Epochs(checkpoints).Select(c => new AdapterEntry(ModelIds.Checkpoint(id, c.Epoch), c.Path, created)));
        _byName[suffix] = new Deployment(jobId, [.. entries], null, fetch);
        return id;
    }

    /// <summary>Holds a deployment back (replacing what its name served): its ids are not listed, and requests for them get <paramref name="reason"/>.</summary>
    public void Refuse(string suffix, string jobId, string reason) => _byName[suffix] = new Deployment(jobId, [], reason, null);

    /// <summary>Stops serving a deployment's ids (loaded weights are unloaded when next evicted).</summary>
    public bool Unregister(string suffix) => _byName.TryRemove(suffix, out _);

    public IReadOnlyList<AdapterEntry> List() => _byName.Values.SelectMany(d => d.Entries).OrderBy(e => e.Id, StringComparer.Ordinal).ToArray();

    /// <summary>The adapter folder of a PEFT folder or a training output (its adapter/ subfolder).</summary>
    public static string FinalAdapter(string root) => File.Exists(Path.Combine(root, LoraConfig.FileName)) ? root : Path.Combine(root, "adapter");

    public async ValueTask<AdapterEntry?> FindAsync(string id, CancellationToken ct)
    {
        foreach (var deployment in _byName.Values)
        {
            if (deployment.Entries.FirstOrDefault(e => e.Id == id) is not { } entry) continue;
            if (deployment.Fetch is { } fetch && !OnDisk(entry))
            {
                await deployment.FetchGate.WaitAsync(ct);
                try
                {
                    if (!OnDisk(entry)) await fetch(ct); // concurrent requests for it wait for one copy
                }
                finally { deployment.FetchGate.Release(); }
            }
            return entry;
        }
        return null;
    }

    /// <summary>The refusal of a deployment whose job the id names (<c>ft:&lt;any base&gt;:&lt;name&gt;:&lt;job&gt;[:ckpt-epoch-N]</c>).</summary>
    public string? Refusal(string id)
    {
        var parts = id.Split(':');
        if (parts.Length < 4 || parts[0] != "ft") return null;
        return _byName.TryGetValue(parts[2], out var d) && d.Refusal is not null && d.JobId == parts[3] ? d.Refusal : null;
    }

    private static bool OnDisk(AdapterEntry entry) =>
        File.Exists(Path.Combine(entry.Directory, LoraConfig.FileName)) && File.Exists(Path.Combine(entry.Directory, LoraAdapter.WeightsFileName));
}
