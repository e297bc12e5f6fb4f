using FineTune.Host.Tests.Support;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;

namespace FineTune.Host.Tests;

/// <summary>
/// The drop folders of `finetune serve --data-dir D` (DropFolderSync) with the real host and the embedded Azurite: a file is
/// uploaded once complete, bad names fail alone, symbolic links are not followed, and a restart uploads nothing twice.
/// </summary>
public sealed class DropFolderTests
{
    private static Dictionary<string, string> Settle(string time) => new() { ["Pipeline:SettleTime"] = time };

    [Fact]
    public async Task FileStillBeingWritten_StartsOneJob_OnTheCompleteFile()
    {
        var dir = RepoPaths.NewTempDirectory("drop");
        try
        {
            await using var host = await TestHost.StartAsync(dir, values: Settle("00:00:06"));
            var uploads = Directory.CreateDirectory(Path.Combine(dir, "uploads")).FullName;
            var data = ChatData.Valid(40);
            var half = data.Length / 2;
            var path = Path.Combine(uploads, "x.jsonl");
            await File.WriteAllTextAsync(path, data[..half]);
            await host.BackgroundPassesAsync(); // the writer pauses: the half file has been seen (and cannot settle in 6 s)
            await File.AppendAllTextAsync(path, data[half..]);

            await JobList.WaitAsync(host, jobs => jobs.Any(j => JobList.SourceName(j) == "x.jsonl"));
            await host.BackgroundPassesAsync(); // a second version (or a first, half one) would have its job by now
            var job = Assert.Single(await JobList.ForAsync(host, "x.jsonl"));
            var blob = await host.Storage.Blobs.GetPropertiesAsync(Containers.Uploads, "x.jsonl");
            Assert.NotNull(blob);
            Assert.Equal(new FileInfo(path).Length, blob.Length);
            Assert.Equal(blob.BareETag, job["input"]!["source"]!["eTag"]!.GetValue<string>());
        }
        finally
        {
            JobList.RemoveTree(dir);
        }
    }

    [Fact]
    public async Task BadNames_FailAlone_NeverBlockTheOthers_AndARestartDuplicatesNothing()
    {
        var dir = RepoPaths.NewTempDirectory("drop");
        try
        {
            var uploads = Directory.CreateDirectory(Path.Combine(dir, "uploads")).FullName;
            var data = ChatData.Valid(4);
            var longName = new string('a', 249) + ".jsonl"; // 255 bytes: the longest file name, a fine blob name
            File.WriteAllText(Path.Combine(uploads, longName), data);
            File.WriteAllText(Path.Combine(uploads, "a\\b.jsonl"), data);
            JobList.Run("python3", "-c", @"import sys, os; open(os.fsencode(sys.argv[1]) + b'/bad\xff.jsonl', 'wb').write(sys.argv[2].encode())", uploads, data);
            string[] normal = ["n1.jsonl", "n2.jsonl", "n3.jsonl"];
            foreach (var name in normal) File.WriteAllText(Path.Combine(uploads, name), data);

            var expected = normal.Append(longName).ToList();
            await using (var host = await TestHost.StartAsync(dir, values: Settle("00:00:01")))
            {
                var jobs = await JobList.WaitAsync(host, all =>
                    expected.All(n => all.Any(j => JobList.SourceName(j) == n))
                    && all.Any(j => JobList.SourceName(j) == "a\\b.jsonl" && TestHost.Status(j) == "Failed")
                    && all.Any(j => JobList.SourceName(j)!.Contains('\uFFFD') && TestHost.Status(j) == "Failed"));
                Assert.Contains("backslash", JobList.Error(jobs.Single(j => JobList.SourceName(j) == "a\\b.jsonl")));
                Assert.Contains("UTF-8", JobList.Error(jobs.Single(j => JobList.SourceName(j)!.Contains('\uFFFD'))));
                Assert.Equal(6, jobs.Count);
                Assert.NotNull(await host.Storage.Blobs.GetPropertiesAsync(Containers.Uploads, longName));
                var blobs = new List<string>();
                await foreach (var blob in host.Storage.Blobs.ListAsync(Containers.Uploads)) blobs.Add(blob.Name);
                Assert.Equal(expected.Order(StringComparer.Ordinal), blobs.Order(StringComparer.Ordinal));
            }

            await using (var host = await TestHost.StartAsync(dir, values: Settle("00:00:01")))
            {
                File.WriteAllText(Path.Combine(uploads, "after.jsonl"), data);
                await JobList.WaitAsync(host, all => all.Any(j => JobList.SourceName(j) == "after.jsonl"));
                await host.BackgroundPassesAsync(); // the old files have been looked at again
                var jobs = await JobList.ListAsync(host);
                Assert.Equal(7, jobs.Count);
                Assert.All(jobs.GroupBy(JobList.SourceName), g => Assert.Single(g));
            }
        }
        finally
        {
            JobList.RemoveTree(dir);
        }
    }

    [Fact]
    public async Task SymbolicLinks_AreNotFollowed()
    {
        var dir = RepoPaths.NewTempDirectory("drop");
        var outside = RepoPaths.NewTempDirectory("outside");
        try
        {
            var data = ChatData.Valid(4);
            File.WriteAllText(Path.Combine(outside, "secret.jsonl"), data);
            var uploads = Directory.CreateDirectory(Path.Combine(dir, "uploads")).FullName;
            var datasets = Directory.CreateDirectory(Path.Combine(dir, "datasets")).FullName;
            Directory.CreateSymbolicLink(Path.Combine(uploads, "linked"), outside);
            File.CreateSymbolicLink(Path.Combine(uploads, "l.jsonl"), Path.Combine(outside, "secret.jsonl"));
            File.CreateSymbolicLink(Path.Combine(datasets, "l.jsonl"), Path.Combine(outside, "secret.jsonl"));
            File.WriteAllText(Path.Combine(uploads, "ok.jsonl"), data);

            await using var host = await TestHost.StartAsync(dir, values: Settle("00:00:01"));
            await JobList.WaitAsync(host, all => all.Any(j => JobList.SourceName(j) == "ok.jsonl"));
            await host.BackgroundPassesAsync(); // the links have been looked at again since ok.jsonl
            var jobs = await JobList.ListAsync(host);
            Assert.Equal(["ok.jsonl"], jobs.Select(j => JobList.SourceName(j)!));
            foreach (var container in new[] { Containers.Uploads, Containers.Datasets })
            {
                var blobs = new List<string>();
                await foreach (var blob in host.Storage.Blobs.ListAsync(container)) blobs.Add(blob.Name);
                Assert.Equal(container == Containers.Uploads ? ["ok.jsonl"] : [], blobs);
            }
        }
        finally
        {
            JobList.RemoveTree(dir);
            JobList.RemoveTree(outside);
        }
    }

    [Fact]
    public async Task Restart_UploadsNothingTwice()
    {
        var dir = RepoPaths.NewTempDirectory("drop");
        try
        {
            var uploads = Directory.CreateDirectory(Path.Combine(dir, "uploads")).FullName;
            var datasets = Directory.CreateDirectory(Path.Combine(dir, "datasets")).FullName;
            var data = ChatData.Valid(4);
            File.WriteAllText(Path.Combine(uploads, "once.jsonl"), data);
            File.WriteAllText(Path.Combine(datasets, "eval.jsonl"), data);
            string uploadETag, datasetETag;
            await using (var host = await TestHost.StartAsync(dir, values: Settle("00:00:01")))
            {
                await JobList.WaitAsync(host, all => all.Any(j => JobList.SourceName(j) == "once.jsonl"));
                uploadETag = (await host.Storage.Blobs.GetPropertiesAsync(Containers.Uploads, "once.jsonl"))!.ETag;
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (await host.Storage.Blobs.GetPropertiesAsync(Containers.Datasets, "eval.jsonl") is null && DateTime.UtcNow < deadline)
                    await Task.Delay(100);
                datasetETag = (await host.Storage.Blobs.GetPropertiesAsync(Containers.Datasets, "eval.jsonl"))!.ETag;
                // Written just before the stop: Azurite saves its metadata every 5 s, so this one survives only a clean shutdown.
                await host.Storage.Blobs.UploadTextAsync(Containers.Jobs, "marker.txt", "written just before the stop");
            }

            await using (var host = await TestHost.StartAsync(dir, values: Settle("00:00:01")))
            {
                Assert.NotNull(await host.Storage.Blobs.GetPropertiesAsync(Containers.Jobs, "marker.txt"));
                File.WriteAllText(Path.Combine(uploads, "after.jsonl"), data);
                await JobList.WaitAsync(host, all => all.Any(j => JobList.SourceName(j) == "after.jsonl"));
                await host.BackgroundPassesAsync(); // once.jsonl and eval.jsonl have been looked at again
                Assert.Equal(uploadETag, (await host.Storage.Blobs.GetPropertiesAsync(Containers.Uploads, "once.jsonl"))!.ETag);
                Assert.Equal(datasetETag, (await host.Storage.Blobs.GetPropertiesAsync(Containers.Datasets, "eval.jsonl"))!.ETag);
                Assert.Single(await JobList.ForAsync(host, "once.jsonl"));
                Assert.Equal(2, (await JobList.ListAsync(host)).Count);
            }
        }
        finally
        {
            JobList.RemoveTree(dir);
        }
    }
}
