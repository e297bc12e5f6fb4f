namespace FineTune.Torch.Tests;

/// <summary>
/// The huge-page pool that serves libtorch's CPU blocks of 256 KiB and more (native/ft_alloc.cpp): freed blocks are
/// served again without new mappings, blocks never overlap whatever the sizes, the order of frees and the threads,
/// small blocks stay with libtorch's allocator, wholly free chunks can be given back, and the chunks ask for huge pages.
/// </summary>
public class CpuPoolTests
{
    private static CpuPoolStats Pool
    {
        get
        {
            _ = LibTorch.Version;
            Assert.True(Environment.GetEnvironmentVariable("FINETUNE_CPU_POOL") != "0", "these tests need the pool on (FINETUNE_CPU_POOL=0 is set)");
            return LibTorch.CpuPool ?? throw new InvalidOperationException("the CPU pool is not libtorch's CPU allocator");
        }
    }

    [Fact]
    public void FreedBlock_IsServedAgain_WithoutMappingMore()
    {
        var before = Pool;
        using (var t = Tensor.Empty([1 << 20]))   // 4 MiB
        {
            var during = Pool;
            Assert.Equal(before.InUseBytes + (4 << 20), during.InUseBytes);
            Assert.Equal(during.MappedBytes, during.InUseBytes + during.FreeBytes);
        }
        var after = Pool;
        Assert.Equal(before.InUseBytes, after.InUseBytes);
        using (var again = Tensor.Full([1 << 20], 3))
        {
            var reused = Pool;
            Assert.Equal(after.ChunksMapped, reused.ChunksMapped);
            Assert.True(reused.Reused > after.Reused);
            using var mean = again.Mean();
            Assert.Equal(3.0, mean.Item());
        }
    }

    [Fact]
    public void SmallBlocks_StayWithLibtorchsAllocator()
    {
        var before = Pool;
        using var t = Tensor.Zeros([60_000]);   // 240 KB
        Assert.Equal(before.InUseBytes, Pool.InUseBytes);
        using var sum = t.Sum();
        Assert.Equal(0.0, sum.Item());
    }

    [Fact]
    public void Blocks_NeverOverlap_UnderMixedSizesFreesAndThreads()
    {
        var before = Pool;
        static void Check(Tensor t, int id)
        {
            using var scope = DisposeScope.Begin();
            Assert.Equal(0.0, (t - id).Abs().Max().Item());   // nobody else wrote into this block while it lived
        }
        void Worker(int seed)
        {
            var rng = new Random(seed);
            var live = new List<(Tensor T, int Id)>();
            for (int i = 0; i < 300; i++)
            {
                if (live.Count > 0 && (live.Count >= 12 || rng.Next(3) == 0))
                {
                    int k = rng.Next(live.Count);
                    var (t, id) = live[k];
                    live.RemoveAt(k);
                    using (t) Check(t, id);
                }
                // 64 Ki floats (256 KiB, the smallest pooled block) to 3 Mi floats, odd sizes included.
                long n = (64 << 10) + rng.Next(3 << 20);
                int tag = seed * 1000 + i;
                live.Add((Tensor.Full([n], tag), tag));
            }
            foreach (var (t, id) in live)
                using (t) Check(t, id);
        }
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var threads = new[] { 1, 2 }.Select(s => new Thread(() =>
        {
            try { Worker(s); }
            catch (Exception e) { errors.Add(e); }
        })).ToArray();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) th.Join();
        Assert.Empty(errors);
        var after = Pool;
        Assert.Equal(before.InUseBytes, after.InUseBytes);   // every block came back
        Assert.Equal(after.MappedBytes, after.InUseBytes + after.FreeBytes);
    }

    [Fact]
    public void WhollyFreeChunks_AreGivenBack_OnRelease()
    {
        LibTorch.ReleaseCpuPool();
        var before = Pool;
        using (var big = Tensor.Ones([20 << 20]))   // 80 MiB: a chunk of its own
        using (var max = big.Max())
            Assert.Equal(1.0, max.Item());
        var held = Pool;
        Assert.Equal(before.ChunksMapped + 1, held.ChunksMapped);
        Assert.True(held.FreeBytes >= 80L << 20);
        long released = LibTorch.ReleaseCpuPool();
        var after = Pool;
        Assert.True(released >= 80L << 20, $"released {released}");
        Assert.Equal(held.MappedBytes - released, after.MappedBytes);
        Assert.Equal(held.ChunksUnmapped + 1, after.ChunksUnmapped);
    }

    [Fact]
    public void Chunks_AskForTransparentHugePages()
    {
        using var t = Tensor.Ones([16 << 20]);   // 64 MiB, in a chunk of the pool
        _ = Pool;
        // /proc/self/smaps lists each mapping's flags; "hg" is MADV_HUGEPAGE.
        var blocks = File.ReadAllText("/proc/self/smaps").Split('\n');
        long size = 0;
        bool found = false;
        foreach (var line in blocks)
        {
            if (line.StartsWith("Size:", StringComparison.Ordinal)) size = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            if (line.StartsWith("VmFlags:", StringComparison.Ordinal) && line.Split(' ').Contains("hg") && size >= 64 << 10) found = true;
        }
        Assert.True(found, "no mapping of 64 MiB or more with MADV_HUGEPAGE");
    }
}
