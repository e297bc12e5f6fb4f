using System.Text;
using FineTune.Pipeline.Storage;

namespace FineTune.Pipeline.Tests.Storage;

/// <summary>
/// The behaviour the pipeline relies on from <see cref="IBlobStore"/> (ETags, conditional writes, atomic uploads, ordered
/// listings), run against real Azurite by the subclass. Each test uses its own container.
/// </summary>
public abstract class StorageContract
{
    protected abstract StorageAccount Account { get; }

    private IBlobStore Blobs => Account.Blobs;

    private async Task<string> NewContainerAsync()
    {
        var name = "c" + Guid.NewGuid().ToString("N")[..20];
        await Blobs.CreateContainerAsync(name);
        await Blobs.CreateContainerAsync(name); // idempotent
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
    public async Task List_MissingContainer_IsEmpty()
    {
        Assert.Empty(await Blobs.ListAsync("c" + Guid.NewGuid().ToString("N")[..20]).ToListAsync());
    }

    [Fact]
    public async Task UploadStream_Large_IsReadBackWhole()
    {
        var c = await NewContainerAsync();
        var bytes = new byte[5 * 1024 * 1024 + 17];
        new Random(7).NextBytes(bytes);
        var written = await Blobs.UploadAsync(c, "big.bin", new MemoryStream(bytes));
        await using var download = await Blobs.OpenReadAsync(c, "big.bin");
        Assert.NotNull(download);
        using var copy = new MemoryStream();
        await download.Content.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
        Assert.Equal(written.ETag, download.Properties.ETag);
        Assert.Equal(bytes.Length, download.Properties.Length);
        Assert.Equal(written.ETag.Trim('"'), download.Properties.BareETag);
    }

    [Fact]
    public async Task EnsureCreated_MakesEveryFineTuneContainer()
    {
        await Account.EnsureCreatedAsync();
        await Account.EnsureCreatedAsync(); // idempotent
        foreach (var container in Containers.All)
            Assert.Empty(await Blobs.ListAsync(container, "no-such-prefix/").ToListAsync());
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
}
