using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Training.Tests;

public class ChunkedLossTests
{
    [Theory]
    [InlineData(1)]      // one row per chunk
    [InlineData(3)]      // chunks that do not divide the rows
    [InlineData(1000)]   // everything in one chunk
    public void ChunkedLoss_EqualsWholeBatchCrossEntropy_InValueAndGradient(int rowsPerChunk)
    {
        using var dir = new TempDir();
        using var model = ModelLoader.Load(TestModels.Tiny(dir, "qwen2"));
        using var scope = DisposeScope.Begin();
        using var rng = new RandomGenerator(4);
        long n = 11, c = model.Config.HiddenSize, vocab = model.Config.VocabSize;
        var hidden = Tensor.Randn([n, c], generator: rng).RequiresGrad_();
        var ids = Tensor.RandInt(0, vocab, [n], generator: rng).ToArray<long>();
        ids[2] = ids[7] = EncodedExample.IgnoreIndex;   // positions without a target
        var targets = Tensor.From(ids, n);

        var whole = Functional.CrossEntropy(model.LmHeadForward(hidden), targets, EncodedExample.IgnoreIndex, Reduction.Sum);
        whole.Backward();
        var wholeGrad = hidden.Grad!.ToArray<float>();
        hidden.ZeroGrad();

        var chunked = ChunkedLoss.CrossEntropySum(model, hidden, targets, chunkElements: rowsPerChunk * vocab);
        Assert.Equal(whole.Item(), chunked.Item(), 4);
        (chunked / 9).Backward();   // scaled as the trainer scales by its token count
        var chunkedGrad = hidden.Grad!.ToArray<float>();
        Assert.Contains(wholeGrad, g => g != 0);
        Assert.True(wholeGrad.Zip(chunkedGrad).Max(p => Math.Abs(p.First / 9 - p.Second)) < 1e-6, "gradients differ");
        Assert.All(Enumerable.Range(0, (int)c), j => Assert.Equal(0f, chunkedGrad[2 * c + j]));   // an ignored row gets none

        using (LibTorch.NoGrad())
            Assert.Equal(whole.Item(), ChunkedLoss.CrossEntropySum(model, hidden, targets, chunkElements: rowsPerChunk * vocab).Item(), 4);
    }
}
