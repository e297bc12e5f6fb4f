using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FineTune.Pipeline.Tests.Jobs;

/// <summary>
/// The settle rule of the drop folders on a fake clock, one pass at a time: a file is uploaded once its size and
/// modification time have stayed the same for SettleTime, and any change starts the wait again.
/// </summary>
public sealed class DropFolderSyncTests(PipelineFixture pipeline) : IClassFixture<PipelineFixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan AlmostSettle = Settle - TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task File_IsUploadedAfterSettleTimeUnchanged_AndAChangeStartsTheWaitAgain()
    {
        var clock = new FakeTimeProvider();
        var sync = new DropFolderSync(pipeline.Storage, pipeline.Starter, Options.Create(new PipelineOptions { SettleTime = Settle }),
            Options.Create(new DropFolderOptions()), clock, NullLogger<DropFolderSync>.Instance);
        using var dir = new TempDir();
        var name = $"settle-{Guid.NewGuid():N}.jsonl";
        var path = dir[name];
        var data = ChatData.Valid(20);
        Task PassAsync() => sync.SyncOnceAsync(dir.Path, Containers.Datasets, CancellationToken.None);

        await File.WriteAllTextAsync(path, data[..(data.Length / 2)]);
        await PassAsync();                      // seen
        clock.Advance(AlmostSettle);
        await PassAsync();                      // unchanged, not yet settled
        Assert.Null(await pipeline.Blobs.GetPropertiesAsync(Containers.Datasets, name));

        await File.AppendAllTextAsync(path, data[(data.Length / 2)..]);
        clock.Advance(AlmostSettle);
        await PassAsync();                      // changed: the wait starts again (almost 6 s after the first sight)
        clock.Advance(AlmostSettle);
        await PassAsync();
        Assert.Null(await pipeline.Blobs.GetPropertiesAsync(Containers.Datasets, name));

        clock.Advance(TimeSpan.FromMilliseconds(200));
        await PassAsync();                      // unchanged for the settle time: uploaded, whole
        var blob = await pipeline.Blobs.GetPropertiesAsync(Containers.Datasets, name);
        Assert.NotNull(blob);
        Assert.Equal(new FileInfo(path).Length, blob.Length);

        clock.Advance(Settle * 2);
        await PassAsync();                      // done: not uploaded again
        Assert.Equal(blob.ETag, (await pipeline.Blobs.GetPropertiesAsync(Containers.Datasets, name))!.ETag);
    }
}
