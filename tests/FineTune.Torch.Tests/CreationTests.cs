using System.Runtime.InteropServices;
using FineTune.Torch;

namespace FineTune.Torch.Tests;

public class CreationTests
{
    [Fact]
    public void From_RoundTripsValuesAndShape()
    {
        using var t = Tensor.From(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal(new long[] { 2, 3 }, t.Shape);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(Device.Cpu, t.Device);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, t.F());
    }

    [Fact]
    public void From_WrongElementCount_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.From(new float[] { 1, 2, 3 }, 2, 2));
        Assert.Contains("holds 4 elements", e.Message);
    }

    [Fact]
    public void Factories_FillAsNamed()
    {
        using var z = Tensor.Zeros([2, 2]);
        using var o = Tensor.Ones([3], DType.Int64);
        using var f = Tensor.Full([2], 2.5);
        using var a = Tensor.Arange(0, 10, 3);
        Assert.All(z.F(), x => Assert.Equal(0f, x));
        Assert.Equal(new long[] { 1, 1, 1 }, o.ToArray<long>());
        Assert.Equal(new float[] { 2.5f, 2.5f }, f.F());
        Assert.Equal(new long[] { 0, 3, 6, 9 }, a.ToArray<long>());
        Assert.Equal(DType.Int64, a.DType);
    }

    [Theory]
    [InlineData(DType.BFloat16, 0.01)]
    [InlineData(DType.Float16, 0.001)]
    [InlineData(DType.Float64, 0)]
    public void To_ConvertsDtypeWithinItsPrecision(DType dtype, double tol)
    {
        using var t = Tensor.From(new float[] { 1.5f, -2.25f, 3.140625f, 100f });
        using var c = t.To(dtype);
        Assert.Equal(dtype, c.DType);
        Assertions.Close(new[] { 1.5f, -2.25f, 3.140625f, 100f }, c, tol * 100);
    }

    [Fact]
    public void BoolAndIntTensors_RoundTrip()
    {
        using var b = Tensor.From(new[] { true, false, true });
        using var i = Tensor.From(new[] { 7, -1 });
        Assert.Equal(new[] { true, false, true }, b.ToArray<bool>());
        Assert.Equal(DType.Bool, b.DType);
        Assert.Equal(new[] { 7, -1 }, i.ToArray<int>());
        Assert.Equal(new long[] { 7, -1 }, i.ToArray<long>());
    }

    [Fact]
    public unsafe void FromBlob_SharesMemoryAndReleasesWhenLastTensorDies()
    {
        var mem = (float*)NativeMemory.Alloc(4 * sizeof(float));
        for (int i = 0; i < 4; i++) mem[i] = i;
        bool released = false;
        var t = Tensor.FromBlob((nint)mem, [2, 2], DType.Float32, () => released = true);
        var view = t.Transpose(0, 1);
        mem[1] = 42;   // no copy: the tensor sees the change
        Assert.Equal(new float[] { 0, 42, 2, 3 }, t.F());
        t.Dispose();
        Assert.False(released);   // the view still uses the memory
        Assert.Equal(new float[] { 0, 2, 42, 3 }, view.F());
        view.Dispose();
        Assert.True(released);
        NativeMemory.Free(mem);
    }

    [Fact]
    public void ManualSeed_MakesRandomnessReproducible()
    {
        LibTorch.ManualSeed(1234);
        using var a = Tensor.Randn([5]);
        using var p = Tensor.Rand([3]);
        LibTorch.ManualSeed(1234);
        using var b = Tensor.Randn([5]);
        using var q = Tensor.Rand([3]);
        Assert.Equal(a.F(), b.F());
        Assert.Equal(p.F(), q.F());
        Assert.All(p.F(), x => Assert.InRange(x, 0f, 1f));
    }

    [Fact]
    public void Item_ReadsScalar()
    {
        using var t = Tensor.Scalar(3.5);
        Assert.Equal(3.5, t.Item());
        Assert.Empty(t.Shape);
    }

    [Fact]
    public void Version_IsReported()
    {
        Assert.Matches(@"^\d+\.\d+", LibTorch.Version);
    }
}

public class RngStateTests
{
    [Fact]
    public void RngState_SaveAndRestore_ReplaysTheSameDraws()
    {
        LibTorch.ManualSeed(99);
        using var skip = Tensor.Randn([3]);
        using var state = LibTorch.GetRngState();
        using var a = Tensor.Randn([4]);
        using var da = Functional.Dropout(Tensor.Ones([50]), 0.5, true);
        LibTorch.SetRngState(state);
        using var b = Tensor.Randn([4]);
        using var db = Functional.Dropout(Tensor.Ones([50]), 0.5, true);
        Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
        Assert.Equal(da.ToArray<float>(), db.ToArray<float>());
        Assert.Equal(DType.UInt8, state.DType);
    }
}
