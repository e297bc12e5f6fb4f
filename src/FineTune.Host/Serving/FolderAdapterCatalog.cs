using FineTune.Models.Lora;

namespace FineTune.Host.Serving;

/// <summary>
/// `--adapters DIR`: each subfolder NAME is served as model id NAME when it is a PEFT adapter
/// (adapter_config.json at its top) or a training output (NAME/adapter/); its end-of-epoch checkpoints
/// NAME/checkpoints/epoch-N/ are served as NAME:ckpt-epoch-N. The folder is rescanned at most once a second,
/// so adapters copied in while serving appear without a restart.
/// </summary>
public sealed class FolderAdapterCatalog(string directory, TimeProvider? time = null) : IAdapterCatalog
{
    private static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private IReadOnlyList<AdapterEntry> _entries = [];
    private DateTimeOffset _scanned = DateTimeOffset.MinValue;

    public string Directory { get; } = Path.GetFullPath(directory);

    public IReadOnlyList<AdapterEntry> List()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (now - _scanned >= RescanInterval)
            {
                _entries = Scan(Directory);
                _scanned = now;
            }
            return _entries;
        }
    }

    public static IReadOnlyList<AdapterEntry> Scan(string directory)
    {
        var entries = new List<AdapterEntry>();
        if (!System.IO.Directory.Exists(directory)) return entries;
        foreach (var folder in System.IO.Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            if (name.StartsWith('.') || name.EndsWith(".tmp", StringComparison.Ordinal)) continue;
            var final = IsAdapter(folder) ? folder : IsAdapter(Path.Combine(folder, "adapter")) ? Path.Combine(folder, "adapter") : null;
            if (final is not null) entries.Add(Entry(name, final));
            var checkpoints = Path.Combine(folder, "checkpoints");
            if (!System.IO.Directory.Exists(checkpoints)) continue;
            foreach (var (epoch, path) in Epochs(checkpoints))
                entries.Add(Entry(ModelIds.Checkpoint(name, epoch), path));
        }
        return entries;
    }

    /// <summary>checkpoints/epoch-N folders holding an adapter, by epoch (unfinished *.tmp ones skipped).</summary>
    public static IEnumerable<(int Epoch, string Path)> Epochs(string checkpoints) =>
        System.IO.Directory.GetDirectories(checkpoints, "epoch-*")
            .Select(d => (Name: Path.GetFileName(d), Path: d))
            .Select(d => (Epoch: int.TryParse(d.Name["epoch-".Length..], out var e) && e >= 1 ? e : 0, d.Path))
            .Where(d => d.Epoch > 0 && IsAdapter(d.Path))
            .OrderBy(d => d.Epoch);

    private static bool IsAdapter(string folder) =>
        File.Exists(Path.Combine(folder, LoraConfig.FileName)) && File.Exists(Path.Combine(folder, LoraAdapter.WeightsFileName));

    private static AdapterEntry Entry(string id, string path) =>
        new(id, path, new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(path, LoraAdapter.WeightsFileName)), TimeSpan.Zero));
}
