using System.Runtime.CompilerServices;

namespace FineTune.Pipeline.Storage.File;

/// <summary>
/// Blobs as plain files: container "c", blob "a/b.jsonl" is <c>{root}/c/a/b.jsonl</c>, so users can drop files into
/// <c>{root}/uploads/</c>. Writes go to <c>{root}/.tmp</c> and are renamed into place (readers never see a torn file);
/// conditional writes and leases check and rename under a striped cross-process file lock. The ETag is the file's
/// modification time and length; every write of ours sets a modification time later than the one it replaces, so a
/// write is never mistaken for the version it replaced. Leases live in <c>{root}/.leases</c>.
/// Names whose segments start with '.' are reserved (hidden files are not listed). A blob "a" and a blob "a/b"
/// cannot both exist (a file cannot also be a folder).
/// </summary>
public sealed class FileBlobStore : IBlobStore
{
    private readonly string _root;
    private readonly string _tmp;
    private readonly string _locks;
    private readonly string _leases;
    private readonly TimeProvider _time;

    public FileBlobStore(string root, TimeProvider time)
    {
        _root = Path.GetFullPath(root);
        _tmp = Path.Combine(_root, ".tmp");
        _locks = Path.Combine(_root, ".locks");
        _leases = Path.Combine(_root, ".leases");
        _time = time;
        Directory.CreateDirectory(_tmp);
        Directory.CreateDirectory(_locks);
        Directory.CreateDirectory(_leases);
    }

    public Task CreateContainerAsync(string container, CancellationToken ct = default)
    {
        Directory.CreateDirectory(ContainerPath(container));
        return Task.CompletedTask;
    }

    public Task<BlobProperties?> GetPropertiesAsync(string container, string name, CancellationToken ct = default)
    {
        var info = new FileInfo(BlobPath(container, name));
        return Task.FromResult(info.Exists ? Properties(name, info.LastWriteTimeUtc, info.Length) : null);
    }

    public Task<BlobDownload?> OpenReadAsync(string container, string name, CancellationToken ct = default)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(BlobPath(container, name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                64 * 1024, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<BlobDownload?>(null);
        }
        // Properties of the opened file (fstat), not of whatever the path names by now.
        var written = System.IO.File.GetLastWriteTimeUtc(stream.SafeFileHandle);
        return Task.FromResult<BlobDownload?>(new BlobDownload(stream, Properties(name, written, stream.Length)));
    }

    public async Task<BlobProperties> UploadAsync(string container, string name, Stream content, BlobConditions? conditions = null,
        CancellationToken ct = default)
    {
        var path = BlobPath(container, name);
        if (!Directory.Exists(ContainerPath(container)))
            throw new StorageNotFoundException($"container '{container}' does not exist");
        var temp = Path.Combine(_tmp, Guid.NewGuid().ToString("N"));
        try
        {
            long length;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(file, ct);
                length = file.Length;
            }
            using (await FileLock.AcquireAsync(_locks, Key(container, name), ct))
            {
                var current = new FileInfo(path);
                CheckConditions(container, name, current, conditions);
                // Strictly later than the version replaced, so the ETag always changes.
                var stamp = _time.GetUtcNow().UtcDateTime;
                if (current.Exists && stamp <= current.LastWriteTimeUtc)
                    stamp = current.LastWriteTimeUtc.AddTicks(10);
                System.IO.File.SetLastWriteTimeUtc(temp, stamp);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                System.IO.File.Move(temp, path, overwrite: true);
                return Properties(name, stamp, length);
            }
        }
        finally
        {
            if (System.IO.File.Exists(temp)) System.IO.File.Delete(temp);
        }
    }

    public async Task<bool> DeleteAsync(string container, string name, BlobConditions? conditions = null, CancellationToken ct = default)
    {
        var path = BlobPath(container, name);
        using (await FileLock.AcquireAsync(_locks, Key(container, name), ct))
        {
            var current = new FileInfo(path);
            if (!current.Exists) return false;
            CheckConditions(container, name, current, conditions);
            System.IO.File.Delete(path);
            var lease = LeasePath(container, name);
            if (System.IO.File.Exists(lease)) System.IO.File.Delete(lease);
            return true;
        }
    }

    public async IAsyncEnumerable<BlobProperties> ListAsync(string container, string? prefix = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var root = ContainerPath(container);
        if (!Directory.Exists(root)) throw new StorageNotFoundException($"container '{container}' does not exist");
        // Only walk the folder the prefix reaches into.
        var prefixFolder = prefix is null ? "" : prefix[..(prefix.LastIndexOf('/') + 1)];
        var start = Path.Combine(root, prefixFolder.Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(start)) yield break;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden, IgnoreInaccessible = true };
        var found = new List<BlobProperties>();
        foreach (var info in new DirectoryInfo(start).EnumerateFiles("*", options))
        {
            var relative = Path.GetRelativePath(root, info.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (relative.Split('/').Any(s => s.StartsWith('.'))) continue;
            if (prefix is not null && !relative.StartsWith(prefix, StringComparison.Ordinal)) continue;
            try
            {
                found.Add(Properties(relative, info.LastWriteTimeUtc, info.Length));
            }
            catch (FileNotFoundException)
            {
                // deleted while listing
            }
        }
        found.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var blob in found)
        {
            ct.ThrowIfCancellationRequested();
            yield return blob;
        }
        await Task.CompletedTask;
    }

    public async Task<string?> TryAcquireLeaseAsync(string container, string name, TimeSpan duration, CancellationToken ct = default)
    {
        if (duration <= TimeSpan.Zero && duration != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "a lease lasts a positive time or is infinite");
        using (await FileLock.AcquireAsync(_locks, Key(container, name), ct))
        {
            if (!System.IO.File.Exists(BlobPath(container, name)))
                throw new StorageNotFoundException($"blob '{container}/{name}' does not exist");
            var active = ReadLease(container, name);
            if (active is not null && active.Value.Expires > _time.GetUtcNow()) return null;
            var id = Guid.NewGuid().ToString();
            WriteLease(container, name, id, duration);
            return id;
        }
    }

    public async Task RenewLeaseAsync(string container, string name, string leaseId, CancellationToken ct = default)
    {
        using (await FileLock.AcquireAsync(_locks, Key(container, name), ct))
        {
            var lease = ReadLease(container, name);
            if (lease is null || lease.Value.Id != leaseId)
                throw new StorageConflictException($"lease on '{container}/{name}' was lost");
            WriteLease(container, name, leaseId, lease.Value.Duration);
        }
    }

    public async Task ReleaseLeaseAsync(string container, string name, string leaseId, CancellationToken ct = default)
    {
        using (await FileLock.AcquireAsync(_locks, Key(container, name), ct))
        {
            var lease = ReadLease(container, name);
            if (lease is null) return;
            if (lease.Value.Id != leaseId)
                throw new StorageConflictException($"lease on '{container}/{name}' is held by another holder");
            System.IO.File.Delete(LeasePath(container, name));
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private void CheckConditions(string container, string name, FileInfo current, BlobConditions? conditions)
    {
        var lease = ReadLease(container, name);
        var leaseActive = lease is not null && lease.Value.Expires > _time.GetUtcNow();
        if (conditions?.LeaseId is { } leaseId)
        {
            if (lease is null || lease.Value.Id != leaseId || !leaseActive)
                throw new StorageConflictException($"lease id does not match the lease on '{container}/{name}'");
        }
        else if (leaseActive)
        {
            throw new StorageConflictException($"'{container}/{name}' has an active lease and no lease id was given");
        }
        if (conditions is null) return;
        if (conditions.IfNoneMatchAny && current.Exists)
            throw new StorageConflictException($"'{container}/{name}' already exists");
        if (conditions.IfMatch is { } etag && (!current.Exists || Properties(name, current.LastWriteTimeUtc, current.Length).ETag != etag))
            throw new StorageConflictException($"'{container}/{name}' changed (ETag mismatch)");
    }

    private (string Id, DateTimeOffset Expires, TimeSpan Duration)? ReadLease(string container, string name)
    {
        string[] parts;
        try
        {
            parts = System.IO.File.ReadAllText(LeasePath(container, name)).Split('\n');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        var duration = TimeSpan.FromTicks(long.Parse(parts[2]));
        return (parts[0], new DateTimeOffset(long.Parse(parts[1]), TimeSpan.Zero), duration);
    }

    private void WriteLease(string container, string name, string id, TimeSpan duration)
    {
        var expires = duration == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : _time.GetUtcNow() + duration;
        var temp = Path.Combine(_tmp, Guid.NewGuid().ToString("N"));
        System.IO.File.WriteAllText(temp, $"{id}\n{expires.UtcTicks}\n{duration.Ticks}");
        var path = LeasePath(container, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.Move(temp, path, overwrite: true);
    }

    private static BlobProperties Properties(string name, DateTime lastWriteUtc, long length) =>
        new(name, $"\"0x{lastWriteUtc.Ticks:X}-{length:X}\"", length, new DateTimeOffset(lastWriteUtc, TimeSpan.Zero));

    private static string Key(string container, string name) => container + "/" + name;

    private string ContainerPath(string container)
    {
        if (string.IsNullOrEmpty(container) || container.StartsWith('.') || container.IndexOfAny(['/', '\\']) >= 0)
            throw new ArgumentException($"invalid container name '{container}'", nameof(container));
        return Path.Combine(_root, container);
    }

    private string BlobPath(string container, string name) => Path.Combine(ContainerPath(container), RelativePath(name));

    private string LeasePath(string container, string name) =>
        Path.Combine(_leases, container, RelativePath(name));

    private static string RelativePath(string name)
    {
        var segments = name.Split('/');
        if (name.Length == 0 || name.Contains('\\') || segments.Any(s => s.Length == 0 || s.StartsWith('.')))
            throw new ArgumentException($"invalid blob name '{name}': empty segments and segments starting with '.' are reserved", nameof(name));
        return Path.Combine(segments);
    }
}
