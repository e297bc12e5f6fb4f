using System.Security.Cryptography;
using System.Text;
using FineTune.Pipeline.Storage;
using Microsoft.Win32.SafeHandles;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// The non-empty lines of a blob (trimmed, optionally rewritten), streamed into a local file; only each line's offset and
/// length stay in memory (12 bytes a line), so a stage can shuffle and split a dataset of any size and write it back out
/// line by line. <see cref="Seed"/> hashes the lines joined by '\n', as they were written.
/// </summary>
public sealed class LineFile : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly SafeFileHandle _file;
    private readonly List<long> _offsets;
    private readonly List<int> _lengths;
    private byte[] _buffer = new byte[64 * 1024];

    private LineFile(SafeFileHandle file, List<long> offsets, List<int> lengths, int seed)
    {
        _file = file;
        _offsets = offsets;
        _lengths = lengths;
        Seed = seed;
    }

    public int Count => _offsets.Count;
    /// <summary>The first four bytes of the SHA-256 of the lines joined by '\n'.</summary>
    public int Seed { get; }

    /// <summary>Null when the blob does not exist.</summary>
    public static async Task<LineFile?> FromBlobAsync(IBlobStore blobs, string container, string name, string path, Func<string, string>? rewrite,
        CancellationToken ct)
    {
        await using var download = await blobs.OpenReadAsync(container, name, ct);
        if (download is null) return null;
        var offsets = new List<long>();
        var lengths = new List<int>();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
        {
            using var reader = new StreamReader(download.Content, Utf8);
            while (await reader.ReadLineAsync(ct) is { } raw)
            {
                var line = raw.Trim();
                if (line.Length == 0) continue;
                if (rewrite is not null) line = rewrite(line);
                var bytes = Utf8.GetBytes(line);
                if (offsets.Count > 0) hash.AppendData("\n"u8);
                hash.AppendData(bytes);
                offsets.Add(output.Position);
                lengths.Add(bytes.Length);
                await output.WriteAsync(bytes, ct);
            }
        }
        var seed = BitConverter.ToInt32(hash.GetHashAndReset(), 0);
        return new LineFile(File.OpenHandle(path, FileMode.Open, FileAccess.Read), offsets, lengths, seed);
    }

    /// <summary>Writes line <paramref name="index"/> and a '\n'.</summary>
    public void CopyLine(int index, Stream output)
    {
        var length = _lengths[index];
        if (_buffer.Length < length) _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
        var span = _buffer.AsSpan(0, length);
        var read = 0;
        while (read < length)
        {
            var n = RandomAccess.Read(_file, span[read..], _offsets[index] + read);
            if (n == 0) throw new IOException($"line {index} of a work file ends early");
            read += n;
        }
        output.Write(span);
        output.WriteByte((byte)'\n');
    }

    public void Dispose() => _file.Dispose();
}
