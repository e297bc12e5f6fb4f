using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace FineTune.Models.Checkpoints;

/// <summary>
/// One .safetensors file, memory-mapped read-only. Layout: u64 little-endian header length N, N bytes of JSON
/// (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}</c>), then the data section.
/// The header is validated as strictly as the reference implementation: known dtypes, sizes equal to
/// dtype × shape, offsets in range, tensors packed back to back with no overlap and no gap.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private const long MaxHeaderBytes = 100_000_000;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly Dictionary<string, TensorView> _tensors;
    private bool _pointerHeld;

    public string Path { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensor names in file order (by data offset).</summary>
    public IReadOnlyList<string> Names { get; }

    public IReadOnlyDictionary<string, TensorView> Tensors => _tensors;

    private SafetensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view,
        Dictionary<string, TensorView> tensors, IReadOnlyList<string> names, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path; _map = map; _view = view; _tensors = tensors; Names = names; Metadata = metadata;
        _pointerHeld = view is not null;
    }

    public TensorView this[string name] => _tensors.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    public bool TryGet(string name, out TensorView tensor) => _tensors.TryGetValue(name, out tensor);

    public static SafetensorsFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long fileLength = stream.Length;
            if (fileLength < 8)
                throw Bad(path, $"file is {fileLength} bytes, too short for the 8-byte header length");
            Span<byte> lengthBytes = stackalloc byte[8];
            stream.ReadExactly(lengthBytes);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (headerLength > MaxHeaderBytes)
                throw Bad(path, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
            if (8 + (long)headerLength > fileLength)
                throw Bad(path, $"header length {headerLength} runs past the end of the {fileLength}-byte file");
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            long dataLength = fileLength - 8 - (long)headerLength;
            var entries = ParseHeader(path, header, dataLength, out var metadata);

            MemoryMappedFile map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            MemoryMappedViewAccessor view;
            try { view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read); }
            catch { map.Dispose(); throw; }
            byte* basePtr = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
            byte* data = basePtr + view.PointerOffset + 8 + (long)headerLength;
            var tensors = new Dictionary<string, TensorView>(entries.Count, StringComparer.Ordinal);
            foreach (var e in entries)
                tensors[e.Name] = new TensorView(e.Name, e.DType, e.Shape, (nint)(data + e.Begin), e.End - e.Begin);
            return new SafetensorsFile(path, map, view, tensors, entries.Select(e => e.Name).ToArray(), metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private sealed record Entry(string Name, SafetensorsDType DType, long[] Shape, long Begin, long End);

    private static List<Entry> ParseHeader(string path, byte[] header, long dataLength,
        out IReadOnlyDictionary<string, string> metadata)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw Bad(path, $"header is not valid JSON: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Bad(path, "header must be a JSON object");
            var meta = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<Entry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                    throw Bad(path, $"tensor '{prop.Name}' appears twice in the header");
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw Bad(path, "__metadata__ must be an object of strings");
                    foreach (var m in prop.Value.EnumerateObject())
                        meta[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()!
                            : throw Bad(path, $"__metadata__.{m.Name} must be a string");
                    continue;
                }
                entries.Add(ParseEntry(path, prop.Name, prop.Value, dataLength));
            }
            entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long expected = 0;
            Entry? previous = null;
            foreach (var e in entries)
            {
                if (e.Begin < expected)
                    throw Bad(path, $"tensor '{e.Name}' [{e.Begin}, {e.End}) overlaps tensor '{previous!.Name}' [{previous.Begin}, {previous.End})");
                if (e.Begin > expected)
                    throw Bad(path, $"{e.Begin - expected} unused bytes before tensor '{e.Name}' at offset {e.Begin}");
                expected = e.End;
                previous = e;
            }
            if (expected != dataLength)
                throw Bad(path, $"tensors cover {expected} bytes but the data section has {dataLength}");
            metadata = meta;
            return entries;
        }
    }

    private static Entry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(path, $"tensor '{name}': entry must be an object");
        if (!value.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad(path, $"tensor '{name}': dtype is missing");
        if (!SafetensorsDTypes.TryParse(dt.GetString()!, out var dtype))
            throw Bad(path, $"tensor '{name}': dtype '{dt.GetString()}' is not supported");
        if (!value.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"tensor '{name}': shape is missing");
        var shape = new long[sh.GetArrayLength()];
        long elements = 1;
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
                throw Bad(path, $"tensor '{name}': shape entries must be non-negative integers, got {sh.GetRawText()}");
            shape[i++] = dim;
            elements = checked(elements * dim);
        }
        if (!value.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad(path, $"tensor '{name}': data_offsets must be [begin, end]");
        long begin = off[0].TryGetInt64(out var b) ? b : -1, end = off[1].TryGetInt64(out var e) ? e : -1;
        if (begin < 0 || end < begin)
            throw Bad(path, $"tensor '{name}': data_offsets {off.GetRawText()} are not 0 <= begin <= end");
        if (end > dataLength)
            throw Bad(path, $"tensor '{name}': data_offsets {off.GetRawText()} run past the {dataLength}-byte data section");
        long bytes = checked(elements * dtype.ElementSize());
        if (end - begin != bytes)
            throw Bad(path, $"tensor '{name}': {dtype}[{string.Join(", ", shape)}] needs {bytes} bytes but data_offsets span {end - begin}");
        return new Entry(name, dtype, shape, begin, end);
    }

    private static CheckpointFormatException Bad(string path, string message) => new($"{path}: {message}");

    public void Dispose()
    {
        if (_pointerHeld)
        {
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
            _pointerHeld = false;
        }
        _view?.Dispose();
        _map?.Dispose();
    }
}
