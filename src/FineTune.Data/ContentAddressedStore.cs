using System.Security.Cryptography;

namespace FineTune.Data;

/// <summary>
/// Stores datasets in a folder under their SHA-256 (<c>root/sha256/ab/abcd….jsonl</c>): the same bytes
/// are stored once, a name can never point at changed content, and a validation report's
/// <see cref="ValidationReport.Sha256"/> names exactly the file it describes.
/// </summary>
public sealed class ContentAddressedStore(string root)
{
    public string Root { get; } = System.IO.Path.GetFullPath(root);

    public string PathOf(string sha256)
    {
        if (sha256.Length != 64 || !sha256.All(Uri.IsHexDigit) || sha256.Any(char.IsUpper))
            throw new ArgumentException($"not a lowercase SHA-256 hex digest: \"{sha256}\"", nameof(sha256));
        return System.IO.Path.Combine(Root, "sha256", sha256[..2], sha256 + ".jsonl");
    }

    public bool Contains(string sha256) => File.Exists(PathOf(sha256));

    /// <summary>Where the validation report of a stored dataset lives: next to it, <c>&lt;sha256&gt;.report.json</c>.</summary>
    public string ReportPathOf(string sha256) => System.IO.Path.ChangeExtension(PathOf(sha256), ".report.json");

    /// <summary>Saves <paramref name="report"/> next to the dataset it describes (by its <see cref="ValidationReport.Sha256"/>).</summary>
    public async Task<string> SaveReportAsync(ValidationReport report, CancellationToken cancellationToken = default)
    {
        var path = ReportPathOf(report.Sha256);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("n");
        await File.WriteAllTextAsync(temp, ValidationReportJson.Serialize(report), cancellationToken).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    public Stream OpenRead(string sha256) =>
        new FileStream(PathOf(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);

    /// <summary>Copies <paramref name="content"/> in while hashing it, then moves it to its address (atomic, idempotent).</summary>
    public async Task<StoredDataset> PutAsync(Stream content, CancellationToken cancellationToken = default)
    {
        var incoming = System.IO.Path.Combine(Root, "incoming");
        Directory.CreateDirectory(incoming);
        var temp = System.IO.Path.Combine(incoming, Guid.NewGuid().ToString("n") + ".tmp");
        try
        {
            string sha;
            long bytes;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 16];
                int n;
                while ((n = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                }
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                sha = Convert.ToHexStringLower(hash.GetHashAndReset());
                bytes = file.Length;
            }
            var path = PathOf(sha);
            if (File.Exists(path)) return new StoredDataset(sha, path, bytes, AlreadyStored: true);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            try
            {
                File.Move(temp, path);
            }
            catch (IOException) when (File.Exists(path))
            {
                return new StoredDataset(sha, path, bytes, AlreadyStored: true);   // another writer stored the same bytes first
            }
            return new StoredDataset(sha, path, bytes, AlreadyStored: false);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>True when the stored file still hashes to its name.</summary>
    public async Task<bool> VerifyAsync(string sha256, CancellationToken cancellationToken = default)
    {
        await using var stream = OpenRead(sha256);
        var digest = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(digest) == sha256;
    }
}
