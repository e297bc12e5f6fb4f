namespace FineTune.Torch.Tests;

public class RandomGeneratorTests
{
    [Fact]
    public void Generator_SmallSeed_DrawsAsManualSeed_AndLeavesTheDefaultGeneratorAlone()
    {
        LibTorch.ManualSeed(42);
        using var expected = Tensor.Randn([5, 7]);
        using var state = LibTorch.GetRngState();
        using var rng = new RandomGenerator(42);
        using var drawn = Tensor.Randn([5, 7], generator: rng);
        using var after = LibTorch.GetRngState();
        Assert.Equal(expected.ToArray<float>(), drawn.ToArray<float>());
        Assert.Equal(state.ToArray<byte>(), after.ToArray<byte>());
    }

    [Fact]
    public void Generator_Every64BitsOfTheSeedCount_SameSeedSameDraws()
    {
        float[] Draw(ulong seed)
        {
            using var rng = new RandomGenerator(seed);
            using var t = Tensor.Rand([16], generator: rng);
            return t.ToArray<float>();
        }
        Assert.Equal(Draw(7 + (1UL << 40)), Draw(7 + (1UL << 40)));
        Assert.NotEqual(Draw(7), Draw(7 + (1UL << 40)));   // libtorch's own seeding keeps the low 32 bits only
        Assert.NotEqual(Draw(7 + (1UL << 40)), Draw(7 + (1UL << 41)));
    }

    [Fact]
    public void Multinomial_WithGenerator_IsReproducible_AndDrawsOnlyNonZeroProbabilities()
    {
        using var probs = Tensor.From(new float[] { 0.5f, 0f, 0.3f, 0.2f });
        long[] Draws(ulong seed)
        {
            using var rng = new RandomGenerator(seed);
            return Enumerable.Range(0, 200).Select(_ => { using var d = probs.Multinomial(1, generator: rng); return d.ToArray<long>()[0]; }).ToArray();
        }
        var a = Draws(3);
        Assert.Equal(a, Draws(3));
        Assert.DoesNotContain(1L, a);
        Assert.Equal([0L, 2L, 3L], a.Distinct().Order());
    }

    [Fact]
    public void Generator_OnCudaWithoutACudaBuild_ThrowsNamingTheDevice()
    {
        if (LibTorch.CudaBuild) return;
        var e = Assert.Throws<TorchException>(() => new RandomGenerator(1, Device.Cuda()));
        Assert.Contains("cuda", e.Message, StringComparison.Ordinal);
    }
}
