using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Tests.Transformer;

/// <summary>The KV cache's prefill mode over slots anywhere in the cache (continuous batching's newcomers).</summary>
public class KvCacheTests
{
    [Fact]
    public void PrefillSlots_WriteEachRowIntoItsSlot_AndLeaveTheOthers()
    {
        using var scope = DisposeScope.Begin();
        using var cache = new KvCache(layers: 2, batch: 4, kvHeads: 2, capacity: 8, headDim: 3, DType.Float32, Device.Cpu);
        // Slot 1 holds a running sequence's keys, which the prefill must not touch.
        cache.SetSlots(1, [0], 3);
        var running = Tensor.Full([1, 2, 3, 3], 7.0f);
        cache.Append(0, running, running);
        cache.Append(1, running, running);

        cache.SetPrefillSlots([3, 0], 3);
        var k = Tensor.Randn([2, 2, 3, 3]);
        var v = Tensor.Randn([2, 2, 3, 3]);
        var (keys, values) = cache.Append(1, k, v);
        Assert.Equal(k.ToArray<float>(), keys.ToArray<float>());        // attention sees the new positions as computed
        Assert.Equal(v.ToArray<float>(), values.ToArray<float>());

        // Read the cache back through slot mode: slot 3 holds row 0, slot 0 row 1, slot 1 its own.
        cache.SetSlots(0, [0, 0, 0, 0], 3);
        var (all, allValues) = cache.Append(1, Tensor.Zeros([4, 2, 1, 3]), Tensor.Zeros([4, 2, 1, 3]));
        // Writing at position 0 replaced it with zeros; positions 1 and 2 are as stored.
        Assert.Equal(k.Narrow(0, 0, 1).Narrow(2, 1, 2).ToArray<float>(), all.Narrow(0, 3, 1).Narrow(2, 1, 2).ToArray<float>());
        Assert.Equal(k.Narrow(0, 1, 1).Narrow(2, 1, 2).ToArray<float>(), all.Narrow(0, 0, 1).Narrow(2, 1, 2).ToArray<float>());
        Assert.Equal(v.Narrow(0, 1, 1).Narrow(2, 1, 2).ToArray<float>(), allValues.Narrow(0, 0, 1).Narrow(2, 1, 2).ToArray<float>());
        Assert.All(all.Narrow(0, 1, 1).Narrow(2, 1, 2).ToArray<float>(), x => Assert.Equal(7.0f, x));
        Assert.All(all.Narrow(0, 2, 1).Narrow(2, 1, 2).ToArray<float>(), x => Assert.Equal(0.0f, x));   // never written
    }

    [Fact]
    public void PrefillSlots_ThatDoNotFit_AreRefused()
    {
        using var scope = DisposeScope.Begin();
        using var cache = new KvCache(layers: 1, batch: 4, kvHeads: 1, capacity: 8, headDim: 2, DType.Float32, Device.Cpu);
        Assert.Throws<ArgumentException>(() => cache.SetPrefillSlots([1, 1], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.SetPrefillSlots([4], 2));
        Assert.Throws<InvalidOperationException>(() => cache.SetPrefillSlots([0], 9));
        cache.SetPrefillSlots([2, 0], 2);
        var three = Tensor.Zeros([3, 1, 2, 2]);
        Assert.Throws<InvalidOperationException>(() => cache.Append(0, three, three));                // 3 rows for 2 slots
        var longer = Tensor.Zeros([2, 1, 3, 2]);
        Assert.Throws<InvalidOperationException>(() => cache.Append(0, longer, longer));              // 3 positions for 2
    }
}
