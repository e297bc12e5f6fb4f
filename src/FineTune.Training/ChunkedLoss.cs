using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Training;

/// <summary>
/// Summed cross entropy of the model's vocabulary projection, a chunk of rows at a time, so the float32 logits of a
/// whole batch (N × V: 200 MB for 1,024 tokens of a 49k vocabulary, held again by softmax's saved output and its
/// gradient) never exist at once. The head is frozen, so each chunk's gradient with respect to its hidden rows is
/// taken right away (libtorch's own cross-entropy backward on a detached copy) and its logits freed; the returned
/// loss carries those gradients to the rest of the graph: its value is the summed loss, its gradient with respect
/// to <c>hidden</c> the collected per-row gradients.
/// </summary>
public static class ChunkedLoss
{
    /// <summary>Logits elements per chunk (16 Mi floats, 64 MiB): 341 rows of a 49k vocabulary, 110 of Qwen's 152k.</summary>
    public const long ChunkElements = 16L << 20;

    /// <param name="hidden">(N, C) final normed hidden states of the positions that have a target.</param>
    /// <param name="targets">(N) int64 next-token ids, <paramref name="ignoreIndex"/> where no loss is taken.</param>
    public static Tensor CrossEntropySum(DecoderModel model, Tensor hidden, Tensor targets,
        long ignoreIndex = EncodedExample.IgnoreIndex, long chunkElements = ChunkElements)
    {
        long n = hidden.Size(0), vocab = model.Config.VocabSize;
        long rows = Math.Max(1, chunkElements / vocab);
        bool backward = LibTorch.GradEnabled && hidden.RequiresGrad;
        if (n <= rows && !backward) return Chunk(model, hidden, targets, ignoreIndex);
        var losses = new List<Tensor>();
        var grads = new List<Tensor>();
        for (long start = 0; start < n; start += rows)
        {
            long len = Math.Min(rows, n - start);
            using var scope = DisposeScope.Begin();
            var h = hidden.Narrow(0, start, len).Detach();
            var t = targets.Narrow(0, start, len);
            if (!backward)
            {
                losses.Add(DisposeScope.Escape(Chunk(model, h, t, ignoreIndex)));
                continue;
            }
            h.RequiresGrad = true;
            var loss = Chunk(model, h, t, ignoreIndex);
            loss.Backward();
            losses.Add(DisposeScope.Escape(loss.Detach()));
            grads.Add(DisposeScope.Escape(h.Grad!));
        }
        var total = losses[0];
        for (int i = 1; i < losses.Count; i++) total = total + losses[i];
        if (!backward) return total;
        // value: total; d/d hidden: the collected gradient.
        var surrogate = (hidden * Tensor.Cat(grads, 0)).Sum();
        return surrogate - surrogate.Detach() + total;
    }

    private static Tensor Chunk(DecoderModel model, Tensor hidden, Tensor targets, long ignoreIndex)
    {
        var logits = model.LmHeadForward(hidden);                                  // (n, V)
        if (logits.DType != DType.Float32) logits = logits.To(DType.Float32);
        return Functional.CrossEntropy(logits, targets, ignoreIndex, Reduction.Sum);
    }
}
