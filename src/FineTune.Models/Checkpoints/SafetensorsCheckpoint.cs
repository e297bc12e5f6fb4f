using System.Text.Json;

namespace FineTune.Models.Checkpoints;

/// <summary>
/// The weights of a model folder: <c>model.safetensors</c>, or the shards listed by
/// <c>model.safetensors.index.json</c> (<c>{"weight_map": {"tensor": "model-00001-of-00002.safetensors"}}</c>).
/// Every shard is memory-mapped; tensors are views into the mappings, valid until this is disposed.
/// </summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, TensorView> _tensors;

    public IReadOnlyList<SafetensorsFile> Files => _files;
    public IReadOnlyDictionary<string, TensorView> Tensors => _tensors;
    public IEnumerable<string> Names => _tensors.Keys;

    private SafetensorsCheckpoint(List<SafetensorsFile> files, Dictionary<string, TensorView> tensors)
    {
        _files = files;
        _tensors = tensors;
    }

    public TensorView this[string name] => _tensors.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"checkpoint has no tensor named '{name}'");

    public bool TryGet(string name, out TensorView tensor) => _tensors.TryGetValue(name, out tensor);

    /// <summary>Opens a model folder (index or single file), or one .safetensors / index file directly.</summary>
    public static SafetensorsCheckpoint Open(string path)
    {
        if (File.Exists(path))
            return path.EndsWith(".json", StringComparison.Ordinal) ? OpenIndex(path) : OpenFiles([path], null);
        var index = Path.Combine(path, IndexFileName);
        if (File.Exists(index))
            return OpenIndex(index);
        var single = Path.Combine(path, SingleFileName);
        if (File.Exists(single))
            return OpenFiles([single], null);
        throw new CheckpointFormatException($"{path}: neither {IndexFileName} nor {SingleFileName} found");
    }

    private static SafetensorsCheckpoint OpenIndex(string indexPath)
    {
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException($"{indexPath}: weight_map is missing");
            foreach (var p in map.EnumerateObject())
            {
                var file = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "";
                if (file.Length == 0 || file != Path.GetFileName(file))
                    throw new CheckpointFormatException($"{indexPath}: weight_map['{p.Name}'] must name a file in the same folder, got {p.Value.GetRawText()}");
                weightMap[p.Name] = file;
            }
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"{indexPath}: not valid JSON: {e.Message}", e);
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var shardPaths = weightMap.Values.Distinct().Order(StringComparer.Ordinal).Select(f => Path.Combine(dir, f)).ToArray();
        foreach (var shard in shardPaths)
            if (!File.Exists(shard))
                throw new CheckpointFormatException($"{indexPath}: shard {Path.GetFileName(shard)} is missing");
        return OpenFiles(shardPaths, weightMap);
    }

    private static SafetensorsCheckpoint OpenFiles(string[] paths, Dictionary<string, string>? weightMap)
    {
        var files = new List<SafetensorsFile>();
        try
        {
            var tensors = new Dictionary<string, TensorView>(StringComparer.Ordinal);
            foreach (var path in paths)
            {
                var file = SafetensorsFile.Open(path);
                files.Add(file);
                var shardName = Path.GetFileName(path);
                foreach (var (name, view) in file.Tensors)
                {
                    if (weightMap is not null && (!weightMap.TryGetValue(name, out var listed) || listed != shardName))
                        throw new CheckpointFormatException(
                            $"{path}: tensor '{name}' is not mapped to this shard by the index ({(weightMap.TryGetValue(name, out var l) ? l : "absent")})");
                    if (!tensors.TryAdd(name, view))
                        throw new CheckpointFormatException($"{path}: tensor '{name}' also appears in another shard");
                }
            }
            if (weightMap is not null)
                foreach (var (name, shard) in weightMap)
                    if (!tensors.ContainsKey(name))
                        throw new CheckpointFormatException($"index maps tensor '{name}' to {shard}, which does not contain it");
            return new SafetensorsCheckpoint(files, tensors);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }
}
