using System.Text;
using FineTune.Pipeline.Storage;

namespace FineTune.Pipeline.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="IBlobStore"/> / <see cref="IQueueStore"/> must show; run against the file store and
/// against real Azurite by the subclasses. Each test uses its own container and queue.
/// </summary>
public abstract class StorageContract
{
    protected abstract StorageAccount Account { get; }

    private IBlobStore Blobs => Account.Blobs;
    private IQueueStore Queues => Account.Queues;

    private async Task<string> NewContainerAsync()
    {
        var name = "c" + Guid.NewGuid().ToString("N")[..20];
        await Blobs.CreateContainerAsync(name);
        await Blobs.CreateContainerAsync(name); // idempotent
        return name;
    }

    private async Task<string> NewQueueAsync()
    {
        var name = "q" + Guid.NewGuid().ToString("N")[..20];
        await Queues.CreateQueueAsync(name);
        await Queues.CreateQueueAsync(name);
        return name;
    }

    [Fact]
    public async Task Upload_ThenRead_ReturnsContentAndTheUploadETag()
    {
        var c = await NewContainerAsync();
        var written = await Blobs.UploadTextAsync(c, "folder/a.txt", "hello");
        var read = await Blobs.ReadBytesAsync(c, "folder/a.txt");
        Assert.NotNull(read);
        Assert.Equal("hello", Encoding.UTF8.GetString(read.Value.Bytes));
        Assert.Equal(written.ETag, read.Value.Properties.ETag);
        Assert.Equal(5, read.Value.Properties.Length);
        var head = await Blobs.GetPropertiesAsync(c, "folder/a.txt");
        Assert.Equal(written.ETag, head!.ETag);
    }

    [Fact]
    public async Task Missing_Blob_ReadsAsNull()
    {
        var c = await NewContainerAsync();
        Assert.Null(await Blobs.GetPropertiesAsync(c, "nope.txt"));
        Assert.Null(await Blobs.OpenReadAsync(c, "nope.txt"));
        Assert.False(await Blobs.DeleteAsync(c, "nope.txt"));
    }

    [Fact]
    public async Task Overwrite_SameLengthImmediately_ChangesETag()
    {
        var c = await NewContainerAsync();
        var first = await Blobs.UploadTextAsync(c, "x.json", "{\"n\":1}");
        var second = await Blobs.UploadTextAsync(c, "x.json", "{\"n\":2}");
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal("{\"n\":2}", await Blobs.ReadTextAsync(c, "x.json"));
    }

    [Fact]
    public async Task IfMatch_StaleETag_ThrowsConflictAndKeepsContent()
    {
        var c = await NewContainerAsync();
        var first = await Blobs.UploadTextAsync(c, "s.json", "v1");
        var second = await Blobs.UploadTextAsync(c, "s.json", "v2", BlobConditions.Matching(first.ETag));
        await Assert.ThrowsAsync<StorageConflictException>(() => Blobs.UploadTextAsync(c, "s.json", "v3", BlobConditions.Matching(first.ETag)));
        Assert.Equal("v2", await Blobs.ReadTextAsync(c, "s.json"));
        await Assert.ThrowsAsync<StorageConflictException>(() => Blobs.DeleteAsync(c, "s.json", BlobConditions.Matching(first.ETag)));
        Assert.True(await Blobs.DeleteAsync(c, "s.json", BlobConditions.Matching(second.ETag)));
        Assert.False(await Blobs.DeleteAsync(c, "s.json"));
    }

    [Fact]
    public async Task IfNoneMatchAny_ExistingBlob_ThrowsConflict()
    {
        var c = await NewContainerAsync();
        Assert.True(await Blobs.TryCreateAsync(c, "once.txt", "a"u8.ToArray()));
        Assert.False(await Blobs.TryCreateAsync(c, "once.txt", "b"u8.ToArray()));
        Assert.Equal("a", await Blobs.ReadTextAsync(c, "once.txt"));
    }

    [Fact]
    public async Task ConcurrentConditionalIncrements_NoneLost()
    {
        var c = await NewContainerAsync();
        await Blobs.UploadTextAsync(c, "counter", "0");
        async Task Increment()
        {
            while (true)
            {
                var read = (await Blobs.ReadBytesAsync(c, "counter"))!.Value;
                var n = int.Parse(Encoding.UTF8.GetString(read.Bytes));
                try
                {
                    await Blobs.UploadTextAsync(c, "counter", (n + 1).ToString(), BlobConditions.Matching(read.Properties.ETag));
                    return;
                }
                catch (StorageConflictException)
                {
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(Increment)));
        Assert.Equal("16", await Blobs.ReadTextAsync(c, "counter"));
    }

    [Fact]
    public async Task List_WithPrefix_ReturnsMatchingNamesInOrder()
    {
        var c = await NewContainerAsync();
        foreach (var name in new[] { "b/2.txt", "a.txt", "b/1.txt", "b/sub/3.txt", "bx.txt" })
            await Blobs.UploadTextAsync(c, name, name);
        var all = await Blobs.ListAsync(c).Select(b => b.Name).ToListAsync();
        Assert.Equal(["a.txt", "b/1.txt", "b/2.txt", "b/sub/3.txt", "bx.txt"], all);
        var underB = await Blobs.ListAsync(c, "b/").Select(b => b.Name).ToListAsync();
        Assert.Equal(["b/1.txt", "b/2.txt", "b/sub/3.txt"], underB);
        var listed = await Blobs.ListAsync(c, "a.").SingleAsync();
        Assert.Equal((await Blobs.GetPropertiesAsync(c, "a.txt"))!.ETag, listed.ETag);
        Assert.Equal(5, listed.Length);
    }

    [Fact]
    public async Task Lease_HeldByOne_BlocksOthersAndUnleasedWrites()
    {
        var c = await NewContainerAsync();
        await Blobs.UploadTextAsync(c, "lock", "");
        var lease = await Blobs.TryAcquireLeaseAsync(c, "lock", TimeSpan.FromSeconds(15));
        Assert.NotNull(lease);
        Assert.Null(await Blobs.TryAcquireLeaseAsync(c, "lock", TimeSpan.FromSeconds(15)));
        await Assert.ThrowsAsync<StorageConflictException>(() => Blobs.UploadTextAsync(c, "lock", "x"));
        await Blobs.UploadTextAsync(c, "lock", "y", new BlobConditions(LeaseId: lease));
        await Blobs.RenewLeaseAsync(c, "lock", lease!);
        await Assert.ThrowsAsync<StorageConflictException>(() => Blobs.RenewLeaseAsync(c, "lock", Guid.NewGuid().ToString()));
        await Blobs.ReleaseLeaseAsync(c, "lock", lease!);
        var next = await Blobs.TryAcquireLeaseAsync(c, "lock", TimeSpan.FromSeconds(15));
        Assert.NotNull(next);
        Assert.NotEqual(lease, next);
        await Blobs.ReleaseLeaseAsync(c, "lock", next!);
        await Blobs.UploadTextAsync(c, "lock", "z");
    }

    [Fact]
    public async Task Lease_OnMissingBlob_ThrowsNotFound()
    {
        var c = await NewContainerAsync();
        await Assert.ThrowsAsync<StorageNotFoundException>(() => Blobs.TryAcquireLeaseAsync(c, "ghost", TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Queue_ReceivedMessage_IsHiddenThenDeleted()
    {
        var q = await NewQueueAsync();
        await Queues.SendAsync(q, "{\"job\":\"a&b<c>\"}");
        var got = Assert.Single(await Queues.ReceiveAsync(q, 32, TimeSpan.FromSeconds(30)));
        Assert.Equal("{\"job\":\"a&b<c>\"}", got.Text);
        Assert.Equal(1, got.DequeueCount);
        Assert.Empty(await Queues.ReceiveAsync(q, 32, TimeSpan.FromSeconds(30)));
        Assert.True(await Queues.DeleteAsync(q, got));
        Assert.False(await Queues.DeleteAsync(q, got));
    }

    [Fact]
    public async Task Queue_UndeletedMessage_ReappearsAfterVisibilityTimeout()
    {
        var q = await NewQueueAsync();
        await Queues.SendAsync(q, "m");
        var first = Assert.Single(await Queues.ReceiveAsync(q, 1, TimeSpan.FromSeconds(1)));
        await Task.Delay(1600);
        var again = Assert.Single(await Queues.ReceiveAsync(q, 1, TimeSpan.FromSeconds(30)));
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(2, again.DequeueCount);
        Assert.False(await Queues.DeleteAsync(q, first)); // stale pop receipt
        Assert.True(await Queues.DeleteAsync(q, again));
    }

    [Fact]
    public async Task Queue_InitialDelay_HidesMessageUntilDue()
    {
        var q = await NewQueueAsync();
        await Queues.SendAsync(q, "later", TimeSpan.FromSeconds(1));
        Assert.Empty(await Queues.ReceiveAsync(q, 1, TimeSpan.FromSeconds(30)));
        await Task.Delay(1600);
        Assert.Equal("later", Assert.Single(await Queues.ReceiveAsync(q, 1, TimeSpan.FromSeconds(30))).Text);
    }

    [Fact]
    public async Task Queue_UpdateVisibility_ReturnsNewReceiptAndInvalidatesOld()
    {
        var q = await NewQueueAsync();
        await Queues.SendAsync(q, "u");
        var got = Assert.Single(await Queues.ReceiveAsync(q, 1, TimeSpan.FromSeconds(30)));
        var updated = await Queues.UpdateVisibilityAsync(q, got, TimeSpan.FromSeconds(30));
        Assert.NotNull(updated);
        Assert.NotEqual(got.PopReceipt, updated.PopReceipt);
        Assert.Null(await Queues.UpdateVisibilityAsync(q, got, TimeSpan.FromSeconds(30)));
        Assert.Empty(await Queues.ReceiveAsync(q, 1, TimeSpan.FromSeconds(30)));
        Assert.True(await Queues.DeleteAsync(q, updated));
    }

    [Fact]
    public async Task Queue_ConcurrentReceivers_GetEachMessageOnce()
    {
        var q = await NewQueueAsync();
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Queues.SendAsync(q, i.ToString())));
        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        async Task Drain()
        {
            for (var empty = 0; empty < 3;)
            {
                var batch = await Queues.ReceiveAsync(q, 8, TimeSpan.FromSeconds(60));
                if (batch.Count == 0) { empty++; continue; }
                foreach (var m in batch) { seen.Add(m.Text); Assert.True(await Queues.DeleteAsync(q, m)); }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(Drain)));
        Assert.Equal(Enumerable.Range(0, 40).Select(i => i.ToString()).Order(), seen.Order());
    }
}
