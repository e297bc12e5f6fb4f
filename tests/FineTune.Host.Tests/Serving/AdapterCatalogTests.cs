using FineTune.Host.Serving;
using FineTune.Models.Lora;
using FineTune.Tests.Support;

namespace FineTune.Host.Tests.Serving;

public sealed class AdapterCatalogTests
{
    private static void FakeAdapter(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, LoraConfig.FileName), "{}");
        File.WriteAllBytes(Path.Combine(dir, LoraAdapter.WeightsFileName), [0]);
    }

    [Fact]
    public void Scan_PeftFoldersTrainingOutputsAndCheckpoints_BecomeIds()
    {
        var root = RepoPaths.NewTempDirectory("catalog");
        try
        {
            FakeAdapter(Path.Combine(root, "plain"));
            FakeAdapter(Path.Combine(root, "run", "adapter"));
            FakeAdapter(Path.Combine(root, "run", "checkpoints", "epoch-2"));
            FakeAdapter(Path.Combine(root, "run", "checkpoints", "epoch-10"));
            FakeAdapter(Path.Combine(root, "run", "checkpoints", "epoch-3.tmp"));   // unfinished: skipped
            Directory.CreateDirectory(Path.Combine(root, "run", "checkpoints", "epoch-4")); // no adapter: skipped
            Directory.CreateDirectory(Path.Combine(root, "empty"));
            FakeAdapter(Path.Combine(root, "half.tmp"));

            var ids = FolderAdapterCatalog.Scan(root).Select(e => e.Id).ToList();
            Assert.Equal(["plain", "run", "run:ckpt-epoch-2", "run:ckpt-epoch-10"], ids);
            var run = ((IAdapterCatalog)new FolderAdapterCatalog(root)).Find("run:ckpt-epoch-10")!;
            Assert.Equal(Path.Combine(root, "run", "checkpoints", "epoch-10"), run.Directory);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void Register_Deployment_ServesFinalAndEpochIds_AndUnregisterRemovesThem()
    {
        var root = RepoPaths.NewTempDirectory("deploy");
        try
        {
            FakeAdapter(Path.Combine(root, "adapter"));
            FakeAdapter(Path.Combine(root, "checkpoints", "epoch-1"));
            var catalog = new DeploymentCatalog();
            var id = catalog.Register("qwen2.5-0.5b", "support", "0123abcd", root);
            Assert.Equal("ft:qwen2.5-0.5b:support:0123abcd", id);
            Assert.Equal([id, id + ":ckpt-epoch-1"], catalog.List().Select(e => e.Id));
            Assert.Equal(Path.Combine(root, "adapter"), ((IAdapterCatalog)catalog).Find(id)!.Directory);
            Assert.False(catalog.Unregister("0123abcd")); // a deployment is keyed by its name, not its job
            Assert.True(catalog.Unregister("support"));
            Assert.Empty(catalog.List());
            Assert.Throws<ArgumentException>(() => catalog.Register("base", "bad:suffix", "job", root));
            Assert.Throws<ArgumentException>(() => catalog.Register("base", "s", "job", Path.Combine(root, "checkpoints")));
        }
        finally { Directory.Delete(root, true); }
    }
}
