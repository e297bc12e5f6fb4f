using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;

namespace FineTune.Pipeline.Tests.Storage;

public sealed class FileStorageContractTests : StorageContract, IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDirectory("filestore");

    public FileStorageContractTests() => Account = StorageAccount.FromDirectory(_dir);

    protected override StorageAccount Account { get; }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task DroppedFile_IsListedAsBlob_AndHiddenFilesAreNot()
    {
        await Account.EnsureCreatedAsync();
        File.WriteAllText(Path.Combine(_dir, "uploads", "chat.jsonl"), "{}\n");
        File.WriteAllText(Path.Combine(_dir, "uploads", ".DS_Store"), "");
        var listed = Assert.Single(await Account.Blobs.ListAsync(Containers.Uploads).ToListAsync());
        Assert.Equal("chat.jsonl", listed.Name);
        Assert.Equal(3, listed.Length);
    }

    [Fact]
    public async Task Lease_Expired_CanBeTakenByAnother()
    {
        await Account.Blobs.CreateContainerAsync("l");
        await Account.Blobs.UploadTextAsync("l", "b", "");
        Assert.NotNull(await Account.Blobs.TryAcquireLeaseAsync("l", "b", TimeSpan.FromMilliseconds(300)));
        Assert.Null(await Account.Blobs.TryAcquireLeaseAsync("l", "b", TimeSpan.FromSeconds(15)));
        await Task.Delay(400);
        Assert.NotNull(await Account.Blobs.TryAcquireLeaseAsync("l", "b", TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task SecondStoreOnSameFolder_SeesWritesAndLeases()
    {
        // Two store instances stand in for two processes on one machine: all state is in the folder.
        var other = StorageAccount.FromDirectory(_dir);
        await Account.Blobs.CreateContainerAsync("p");
        var written = await Account.Blobs.UploadTextAsync("p", "s.json", "1");
        await Assert.ThrowsAsync<StorageConflictException>(() => other.Blobs.UploadTextAsync("p", "s.json", "x", BlobConditions.CreateOnly));
        var lease = await Account.Blobs.TryAcquireLeaseAsync("p", "s.json", TimeSpan.FromSeconds(15));
        Assert.Null(await other.Blobs.TryAcquireLeaseAsync("p", "s.json", TimeSpan.FromSeconds(15)));
        Assert.Equal(written.ETag, (await other.Blobs.GetPropertiesAsync("p", "s.json"))!.ETag);
        await Account.Blobs.ReleaseLeaseAsync("p", "s.json", lease!);
    }
}
