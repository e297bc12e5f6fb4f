using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace FineTune.Models.Checkpoints;

/// <summary>
/// Writes safetensors files the way the reference serializer does: tensors ordered by alignment then name, the
/// JSON header padded with spaces to a multiple of 8 bytes, <c>__metadata__</c> <c>{"format": "pt"}</c> unless
/// given. <see cref="WriteSharded"/> splits a checkpoint like <c>save_pretrained</c> (one file when it fits).
/// </summary>
public static class SafetensorsWriter
{
    public static readonly IReadOnlyDictionary<string, string> PyTorchMetadata =
        new Dictionary<string, string> { ["format"] = "pt" };

    public static void Write(string path, IEnumerable<SafetensorsTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderByDescending(t => t.DType.ElementSize()).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in ordered)
        {
            if (t.Name == "__metadata__" || t.Name.Length == 0)
                throw new ArgumentException($"'{t.Name}' is not a valid tensor name");
            if (!names.Add(t.Name))
                throw new ArgumentException($"tensor '{t.Name}' is given twice");
            long expected = t.Shape.Aggregate(1L, (a, d) => d < 0
                ? throw new ArgumentException($"tensor '{t.Name}' has a negative dimension") : checked(a * d)) * t.DType.ElementSize();
            if (expected != t.ByteLength)
                throw new ArgumentException(
                    $"tensor '{t.Name}': {t.DType}[{string.Join(", ", t.Shape)}] needs {expected} bytes, got {t.ByteLength}");
        }

        var header = BuildHeader(ordered, metadata ?? PyTorchMetadata);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var t in ordered)
                stream.Write(t.Data.Span);
        }
        File.Move(temp, path, overwrite: true);
    }

    private static byte[] BuildHeader(List<SafetensorsTensor> ordered, IReadOnlyDictionary<string, string> metadata)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (metadata.Count > 0)
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in ordered)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType.ToString());
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.ByteLength);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.ByteLength;
            }
            w.WriteEndObject();
        }
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        var header = new byte[padded];
        buffer.ToArray().CopyTo(header, 0);
        header.AsSpan((int)buffer.Length).Fill((byte)' ');
        return header;
    }

    /// <summary>
    /// Writes <c>model.safetensors</c> when everything fits in <paramref name="maxShardBytes"/>, otherwise
    /// <c>model-0000i-of-0000n.safetensors</c> plus <c>model.safetensors.index.json</c>. Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> WriteSharded(string directory, IReadOnlyList<SafetensorsTensor> tensors,
        long maxShardBytes, IReadOnlyDictionary<string, string>? metadata = null, string baseName = "model")
    {
        if (maxShardBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes), maxShardBytes, "must be > 0");
        Directory.CreateDirectory(directory);
        var shards = new List<List<SafetensorsTensor>> { new() };
        long current = 0;
        foreach (var t in tensors)
        {
            if (current > 0 && current + t.ByteLength > maxShardBytes)
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(t);
            current += t.ByteLength;
        }
        if (shards.Count == 1)
        {
            var single = Path.Combine(directory, baseName + ".safetensors");
            Write(single, tensors, metadata);
            return [single];
        }

        var written = new List<string>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            var name = $"{baseName}-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            Write(Path.Combine(directory, name), shards[i], metadata);
            written.Add(Path.Combine(directory, name));
            foreach (var t in shards[i]) weightMap[t.Name] = name;
        }
        var index = Path.Combine(directory, baseName + ".safetensors.index.json");
        using (var stream = File.Create(index))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            w.WriteNumber("total_size", tensors.Sum(t => t.ByteLength));
            w.WriteEndObject();
            w.WriteStartObject("weight_map");
            foreach (var (k, v) in weightMap) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        written.Add(index);
        return written;
    }
}
