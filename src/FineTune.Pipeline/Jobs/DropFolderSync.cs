using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs.Models;
using FineTune.Pipeline.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FineTune.Pipeline.Jobs;

/// <summary>
/// The local drop folders of `finetune serve --data-dir D`: files in D/uploads/ go to the uploads container (and start jobs
/// there), files in D/datasets/ and D/models/ to their containers. A file counts as complete once its size and modification
/// time have not changed for SettleTime; names that start with '.' or end in .part/.tmp/.crdownload (a copy in progress) wait.
/// A file is uploaded only when the blob's MD5 differs, so a restart uploads nothing twice. Symbolic links are not followed.
/// A name that cannot be a blob (invalid UTF-8, a backslash, a control character) gets a failed job saying why.
/// </summary>
public sealed class DropFolderSync(StorageAccount storage, JobStarter starter, IOptions<PipelineOptions> options, IOptions<DropFolderOptions> folders,
    TimeProvider time, ILogger<DropFolderSync> logger) : BackgroundService
{
    private readonly Dictionary<string, (long Length, DateTime Modified, DateTimeOffset Since)> _seen = [];
    private readonly Dictionary<string, (long Length, DateTime Modified)> _done = [];

    /// <summary>The passes over all three folders; one where a folder failed does not count.</summary>
    public Passes Passes { get; } = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (folders.Value.Root is not { } root) return;
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(options.Value.SettleTime.TotalMilliseconds / 4, 100, 1000));
        while (!stoppingToken.IsCancellationRequested)
        {
            var pass = Passes.Begin();
            var whole = true;
            foreach (var container in new[] { Containers.Uploads, Containers.Datasets, Containers.Models })
            {
                try
                {
                    await SyncOnceAsync(Path.Combine(root, container), container, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    PipelineLog.ScanFault(logger, $"the {container} drop folder", e);
                    whole = false;
                }
            }
            if (whole) Passes.End(pass);
            try { await Task.Delay(interval, time, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    public async Task SyncOnceAsync(string folder, string container, CancellationToken ct)
    {
        if (!Directory.Exists(folder)) return;
        var now = time.GetUtcNow();
        var enumeration = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        foreach (var path in Directory.EnumerateFiles(folder, "*", enumeration))
        {
            try
            {
                var info = new FileInfo(path);
                if (info.LinkTarget is not null || InProgress(info.Name)) continue;
                // A name that is not valid UTF-8 reaches .NET with U+FFFD in it, and no file has that name: it cannot be
                // read or even stat'ed, but it still settles (as length -1) and gets its failed job.
                var (length, modified) = info.Exists ? (info.Length, info.LastWriteTimeUtc) : (-1L, DateTime.MinValue);
                if (_done.TryGetValue(path, out var done) && done == (length, modified)) continue;
                if (!_seen.TryGetValue(path, out var seen) || seen.Length != length || seen.Modified != modified)
                {
                    _seen[path] = (length, modified, now);
                    continue;
                }
                if (now - seen.Since < options.Value.SettleTime) continue;
                await HandleAsync(folder, container, info, length, modified, ct);
                _done[path] = (length, modified);
                _seen.Remove(path);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                PipelineLog.StartFault(logger, Path.GetFileName(path), e); // this file only; the others go on
            }
        }
    }

    private async Task HandleAsync(string folder, string container, FileInfo file, long length, DateTime modified, CancellationToken ct)
    {
        var relative = Path.GetRelativePath(folder, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
        if (NameProblem(relative) is { } problem)
        {
            if (container == Containers.Uploads && JobStarter.KindOf(relative) is not null)
                await starter.StartRejectedAsync(container, relative, $"local:{length}:{modified.Ticks}",
                    $"the file name cannot be stored: {problem}; rename the file", ct);
            else
                PipelineLog.SkippedName(logger, container, problem);
            return;
        }
        if (length < 0) return; // deleted since the listing
        byte[] md5;
        await using (var stream = File.OpenRead(file.FullName))
            md5 = await MD5.HashDataAsync(stream, ct);
        var blob = storage.Service.GetBlobContainerClient(container).GetBlobClient(relative);
        var existing = await storage.Blobs.GetPropertiesAsync(container, relative, ct);
        if (existing?.ContentMd5 is { } stored && stored.AsSpan().SequenceEqual(md5)) return;
        await using (var stream = File.OpenRead(file.FullName))
            await blob.UploadAsync(stream, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentHash = md5 } }, ct);
    }

    private static bool InProgress(string name) =>
        name.StartsWith('.') || name.EndsWith(".part", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".crdownload", StringComparison.OrdinalIgnoreCase) || name.EndsWith('~');

    /// <summary>Why a relative path cannot be a blob name, or null.</summary>
    public static string? NameProblem(string relative)
    {
        if (relative.Contains('\uFFFD')) return "it is not valid UTF-8";
        if (relative.Contains('\\')) return "it contains a backslash (blob names use '/')";
        if (relative.Any(char.IsControl)) return "it contains a control character";
        if (Encoding.UTF8.GetByteCount(relative) > 1024) return "it is longer than 1,024 bytes";
        return null;
    }
}

/// <summary>Where the local drop folders are: D of `finetune serve --data-dir D` (null: none, e.g. Azure Storage without a data dir).</summary>
public sealed class DropFolderOptions
{
    public string? Root { get; set; }
}
