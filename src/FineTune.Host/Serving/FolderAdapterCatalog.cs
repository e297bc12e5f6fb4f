using FineTune.Models.Lora;
using Microsoft.Extensions.Logging;

namespace FineTune.Host.Serving;

/// <summary>
/// `--adapters DIR`: each subfolder NAME is served as model id NAME when it is a PEFT adapter
/// (adapter_config.json at its top) or a training output (NAME/adapter/); its end-of-epoch checkpoints
/// NAME/checkpoints/epoch-N/ are served as NAME:ckpt-epoch-N. The folder is rescanned at most once a second,
/// so adapters copied in while serving appear without a restart. With <paramref name="served"/>, an adapter whose
/// base_model.json names another base is left out (logged once, and requests for it told why).
/// </summary>
public sealed partial class FolderAdapterCatalog(string directory, TimeProvider? time = null, ServedModel? served = null, ILogger? log = null) : IAdapterCatalog
{
    private static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private IReadOnlyList<AdapterEntry> _entries = [];
    private Dictionary<string, string> _refused = new(StringComparer.Ordinal); // id → why
    private DateTimeOffset _scanned = DateTimeOffset.MinValue;

    public string Directory { get; } = Path.GetFullPath(directory);

    public IReadOnlyList<AdapterEntry> List()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (now - _scanned >= RescanInterval)
            {
                var entries = Scan(Directory);
                var refused = new Dictionary<string, string>(StringComparer.Ordinal);
                if (served is not null)
                    foreach (var e in entries)
                        if (Refusal(served, e) is { } why)
                        {
                            refused[e.Id] = why;
                            if (log is not null && _refused.GetValueOrDefault(e.Id) != why) LogRefused(log, e.Id, why);
                        }
                (_entries, _refused, _scanned) = (entries.Where(e => !refused.ContainsKey(e.Id)).ToArray(), refused, now);
            }
            return _entries;
        }
    }

    public string? Refusal(string id)
    {
        List();
        lock (_lock) return _refused.GetValueOrDefault(id);
    }

    private static string? Refusal(ServedModel served, AdapterEntry entry)
    {
        try { return served.Refusal(entry.Id, BaseModelIdentity.Read(entry.Directory)); }
        catch (InvalidDataException e) { return $"adapter '{entry.Id}' has an unreadable {BaseModelIdentity.FileName}: {e.Message}"; }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "adapter {Id} is not served: {Reason}")]
    private static partial void LogRefused(ILogger log, string id, string reason);
}
