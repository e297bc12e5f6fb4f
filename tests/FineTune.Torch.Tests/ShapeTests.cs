using FineTune.Torch;

namespace FineTune.Torch.Tests;

public class ShapeTests
{
    private static Tensor Iota(params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return Tensor.From(Enumerable.Range(0, (int)n).Select(i => (float)i).ToArray(), shape);
    }

    [Fact]
    public void ViewReshapeTranspose_MoveElementsAsRowMajor()
    {
        using var scope = DisposeScope.Begin();
        var t = Iota(2, 3);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, t.View(3, 2).F());
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, t.Transpose(0, 1).F());
        Assert.False(t.Transpose(0, 1).IsContiguous);
        Assert.True(t.Transpose(0, 1).Contiguous().IsContiguous);
        Assert.Equal(new long[] { 6 }, t.Reshape(-1).Shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, t.T.F());
    }

    [Fact]
    public void Permute_ReordersDimensions()
    {
        using var scope = DisposeScope.Begin();
        var t = Iota(2, 3, 4);
        var p = t.Permute(2, 0, 1);
        Assert.Equal(new long[] { 4, 2, 3 }, p.Shape);
        // p[k, i, j] == t[i, j, k] == i*12 + j*4 + k
        var v = p.F();
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++)
                    Assert.Equal(i * 12 + j * 4 + k, v[k * 6 + i * 3 + j]);
    }

    [Fact]
    public void NarrowSliceSelect_PickRanges()
    {
        using var scope = DisposeScope.Begin();
        var t = Iota(4, 3);
        Assert.Equal(new float[] { 3, 4, 5, 6, 7, 8 }, t.Narrow(0, 1, 2).F());
        Assert.Equal(new float[] { 0, 2, 3, 5, 6, 8, 9, 11 }, t.Slice(1, 0, 3, 2).F());
        Assert.Equal(new float[] { 1, 4, 7, 10 }, t.Select(1, 1).F());
    }

    [Fact]
    public void UnsqueezeExpandSqueeze_Broadcast()
    {
        using var scope = DisposeScope.Begin();
        var t = Iota(3);
        var e = t.Unsqueeze(0).Expand(2, 3);
        Assert.Equal(new float[] { 0, 1, 2, 0, 1, 2 }, e.F());
        Assert.Equal(new long[] { 3 }, t.Unsqueeze(1).Squeeze(1).Shape);
    }

    [Fact]
    public void CatStackChunk_Compose()
    {
        using var scope = DisposeScope.Begin();
        var a = Iota(2, 2);
        var b = a + 10;
        Assert.Equal(new float[] { 0, 1, 10, 11, 2, 3, 12, 13 }, Tensor.Cat([a, b], 1).F());
        Assert.Equal(new long[] { 2, 2, 2 }, Tensor.Stack([a, b], 0).Shape);
        var parts = Iota(5).Chunk(2);
        Assert.Equal(2, parts.Length);
        Assert.Equal(new float[] { 0, 1, 2 }, parts[0].F());
        Assert.Equal(new float[] { 3, 4 }, parts[1].F());
    }

    [Fact]
    public void IndexSelectGatherScatter_UseIndices()
    {
        using var scope = DisposeScope.Begin();
        var t = Iota(3, 2);
        var idx = Tensor.From(new long[] { 2, 0 });
        Assert.Equal(new float[] { 4, 5, 0, 1 }, t.IndexSelect(0, idx).F());
        var g = t.Gather(1, Tensor.From(new long[] { 1, 0, 1 }, 3, 1));
        Assert.Equal(new float[] { 1, 2, 5 }, g.F());
        var s = Tensor.Zeros([2, 3]).Scatter(1, Tensor.From(new long[] { 2, 0 }, 2, 1), Tensor.From(new float[] { 7, 8 }, 2, 1));
        Assert.Equal(new float[] { 0, 0, 7, 8, 0, 0 }, s.F());
    }

    [Fact]
    public void ScatterInPlace_WritesThroughAViewIntoItsBase()
    {
        using var scope = DisposeScope.Begin();
        var t = Tensor.Zeros([3, 3]);
        t.Narrow(0, 1, 2).ScatterInPlace(1, Tensor.From(new long[] { 2, 0 }, 2, 1), Tensor.From(new float[] { 7, 8 }, 2, 1));
        Assert.Equal(new float[] { 0, 0, 0, 0, 0, 7, 8, 0, 0 }, t.F());
    }

    [Fact]
    public void RepeatInterleave_RepeatsAlongDim()
    {
        using var scope = DisposeScope.Begin();
        Assert.Equal(new float[] { 0, 0, 1, 1 }, Iota(2).RepeatInterleave(2, 0).F());
    }
}
