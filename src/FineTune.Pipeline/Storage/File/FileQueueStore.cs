using System.Globalization;

namespace FineTune.Pipeline.Storage.File;

/// <summary>
/// Queues as folders under <c>{root}/.queues/{queue}</c>, one file per message named
/// <c>{visibleAtTicks}.{dequeueCount}.{id}.{popReceipt}.msg</c>. Receiving renames a visible message to a name with a
/// later visibility and a new pop receipt: rename is atomic, so of several processes racing for a message exactly one
/// wins and the others find the old name gone. Deleting or updating needs the current pop receipt, i.e. the current name.
/// </summary>
public sealed class FileQueueStore : IQueueStore
{
    private readonly string _root;
    private readonly string _tmp;
    private readonly TimeProvider _time;

    public FileQueueStore(string root, TimeProvider time)
    {
        _root = Path.Combine(Path.GetFullPath(root), ".queues");
        _tmp = Path.Combine(Path.GetFullPath(root), ".tmp");
        _time = time;
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(_tmp);
    }

    public Task CreateQueueAsync(string queue, CancellationToken ct = default)
    {
        Directory.CreateDirectory(QueuePath(queue));
        return Task.CompletedTask;
    }

    public async Task SendAsync(string queue, string text, TimeSpan? initialDelay = null, CancellationToken ct = default)
    {
        var folder = QueuePath(queue);
        if (!Directory.Exists(folder)) throw new StorageNotFoundException($"queue '{queue}' does not exist");
        var temp = Path.Combine(_tmp, Guid.NewGuid().ToString("N"));
        await System.IO.File.WriteAllTextAsync(temp, text, ct);
        var visibleAt = _time.GetUtcNow() + (initialDelay ?? TimeSpan.Zero);
        var name = FileName(visibleAt.UtcTicks, 0, Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N"));
        System.IO.File.Move(temp, Path.Combine(folder, name));
    }

    public async Task<IReadOnlyList<QueueMessage>> ReceiveAsync(string queue, int maxMessages, TimeSpan visibilityTimeout,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        var folder = QueuePath(queue);
        if (!Directory.Exists(folder)) throw new StorageNotFoundException($"queue '{queue}' does not exist");
        var now = _time.GetUtcNow();
        var visible = Directory.EnumerateFiles(folder, "*.msg")
            .Select(path => (Path: path, Parsed: Parse(Path.GetFileName(path))))
            .Where(m => m.Parsed is not null && m.Parsed.Value.VisibleAt <= now.UtcTicks)
            .OrderBy(m => m.Parsed!.Value.VisibleAt)
            .ToList();
        var received = new List<QueueMessage>();
        foreach (var (path, parsed) in visible)
        {
            if (received.Count == maxMessages) break;
            var (_, count, id, _) = parsed!.Value;
            var nextVisible = now + visibilityTimeout;
            var receipt = Guid.NewGuid().ToString("N");
            var claimed = Path.Combine(folder, FileName(nextVisible.UtcTicks, count + 1, id, receipt));
            try
            {
                System.IO.File.Move(path, claimed, overwrite: true); // rename(2): exactly one receiver wins
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            string text;
            try
            {
                text = await System.IO.File.ReadAllTextAsync(claimed, ct);
            }
            catch (FileNotFoundException)
            {
                continue; // deleted by a receiver that found it visible again (zero timeout)
            }
            received.Add(new QueueMessage(id, receipt, text, count + 1, nextVisible));
        }
        return received;
    }

    public Task<QueueMessage?> UpdateVisibilityAsync(string queue, QueueMessage message, TimeSpan visibilityTimeout,
        CancellationToken ct = default)
    {
        var folder = QueuePath(queue);
        var current = Find(folder, message);
        if (current is null) return Task.FromResult<QueueMessage?>(null);
        var nextVisible = _time.GetUtcNow() + visibilityTimeout;
        var receipt = Guid.NewGuid().ToString("N");
        try
        {
            System.IO.File.Move(current, Path.Combine(folder, FileName(nextVisible.UtcTicks, message.DequeueCount, message.Id, receipt)), overwrite: true);
        }
        catch (FileNotFoundException)
        {
            return Task.FromResult<QueueMessage?>(null);
        }
        return Task.FromResult<QueueMessage?>(message with { PopReceipt = receipt, NextVisibleOn = nextVisible });
    }

    public Task<bool> DeleteAsync(string queue, QueueMessage message, CancellationToken ct = default)
    {
        var current = Find(QueuePath(queue), message);
        if (current is null) return Task.FromResult(false);
        // Move aside first: of a racing delete and receive only one rename succeeds.
        var doomed = Path.Combine(_tmp, Guid.NewGuid().ToString("N"));
        try
        {
            System.IO.File.Move(current, doomed, overwrite: true);
        }
        catch (FileNotFoundException)
        {
            return Task.FromResult(false);
        }
        System.IO.File.Delete(doomed);
        return Task.FromResult(true);
    }

    private static string? Find(string folder, QueueMessage message)
    {
        var matches = Directory.GetFiles(folder, $"*.{message.Id}.{message.PopReceipt}.msg");
        return matches.Length == 1 ? matches[0] : null;
    }

    private static string FileName(long visibleAtTicks, long dequeueCount, string id, string receipt) =>
        string.Create(CultureInfo.InvariantCulture, $"{visibleAtTicks:D19}.{dequeueCount}.{id}.{receipt}.msg");

    private static (long VisibleAt, long Count, string Id, string Receipt)? Parse(string fileName)
    {
        var parts = fileName.Split('.');
        if (parts.Length != 5 || !long.TryParse(parts[0], out var visibleAt) || !long.TryParse(parts[1], out var count)) return null;
        return (visibleAt, count, parts[2], parts[3]);
    }

    private string QueuePath(string queue)
    {
        if (string.IsNullOrEmpty(queue) || queue.IndexOfAny(['/', '\\', '.']) >= 0)
            throw new ArgumentException($"invalid queue name '{queue}'", nameof(queue));
        return Path.Combine(_root, queue);
    }
}
