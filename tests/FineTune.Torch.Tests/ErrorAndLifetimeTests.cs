using FineTune.Torch;

namespace FineTune.Torch.Tests;

public class ErrorAndLifetimeTests
{
    [Fact]
    public void ShapeMismatch_SurfacesLibtorchMessage_AndLaterCallsWork()
    {
        using var a = Tensor.Zeros([2, 3]);
        using var b = Tensor.Zeros([4, 5]);
        var e = Assert.Throws<TorchException>(() => a.MatMul(b));
        Assert.Contains("MatMul(float32[2, 3] cpu, float32[4, 5] cpu)", e.Message);
        Assert.Contains("2x3 and 4x5", e.Message);   // libtorch's own words
        using var c = Tensor.Ones([3, 2]);
        using var ok = a.MatMul(c);
        Assert.Equal(new long[] { 2, 2 }, ok.Shape);
    }

    [Fact]
    public void InvalidView_And_BadIndex_Throw()
    {
        using var a = Tensor.Zeros([2, 3]);
        Assert.Contains("View([4, 2])", Assert.Throws<TorchException>(() => a.View(4, 2)).Message);
        Assert.Throws<TorchException>(() => a.Narrow(1, 2, 5));
        using var idx = Tensor.From(new long[] { 9 });
        Assert.Throws<TorchException>(() => Functional.Embedding(a, idx));
    }

    [Fact]
    public void DisposedTensor_ThrowsObjectDisposed()
    {
        var a = Tensor.Zeros([2]);
        a.Dispose();
        Assert.Throws<ObjectDisposedException>(() => a.Add(1));
    }

    [Fact]
    public void DisposeScope_FreesWhatItCreated_ButNotWhatMovedOut()
    {
        var before = Tensor.LiveCount;
        Tensor kept;
        using (var scope = DisposeScope.Begin())
        {
            var x = Tensor.Ones([4]);
            var y = x * 2 + 1;
            kept = scope.MoveToOuter(y.Sum());
            Assert.True(Tensor.LiveCount >= before + 4);
        }
        Assert.Equal(before + 1, Tensor.LiveCount);
        Assert.Equal(12, kept.Item());
        kept.Dispose();
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void NestedScopes_MoveToOuterLandsInOuter()
    {
        var before = Tensor.LiveCount;
        using (var outer = DisposeScope.Begin())
        {
            using (var inner = DisposeScope.Begin())
                inner.MoveToOuter(Tensor.Ones([2]));
            Assert.Equal(before + 1, Tensor.LiveCount);
            Assert.Equal(1, outer.Count);
        }
        Assert.Equal(before, Tensor.LiveCount);
    }

    [Fact]
    public void LiveTensorCount_Unchanged_After1000TrainingLikeSteps()
    {
        LibTorch.ManualSeed(0);
        using var w = Tensor.Randn([16, 8]).Mul(0.1).RequiresGrad_();
        using var x = Tensor.Randn([4, 16]);
        using var targets = Tensor.From(new long[] { 1, 2, 3, 4 });
        using var opt = new AdamW([w], lr: 1e-2);
        // Finalize what earlier code dropped (e.g. the Randn above, before its Mul) so no finalizer changes the count mid-loop.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Tensor.LiveCount;
        double first = 0, last = 0;
        for (int step = 0; step < 1000; step++)
        {
            using var scope = DisposeScope.Begin();
            opt.ZeroGrad();
            var logits = Functional.Linear(x, w.T);
            var loss = Functional.CrossEntropy(logits, targets);
            loss.Backward();
            LibTorch.ClipGradNorm([w], 1.0);
            opt.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.Equal(before, Tensor.LiveCount);
        Assert.True(last < first / 10, $"loss should fall: {first} -> {last}");
    }
}
