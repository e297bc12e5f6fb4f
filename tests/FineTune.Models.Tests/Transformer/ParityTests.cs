using System.Text.Json;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Tests.Transformer;

/// <summary>
/// Our logits against an independent plain-PyTorch implementation (reference_decoder.py, float64) on
/// the same tiny random checkpoint: max abs error under 1e-4 in float32, with and without the KV cache.
/// </summary>
public class ParityTests
{
    private const double Tolerance = 1e-4;

    private static double[] Reference(string modelDir, long[][] ids)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Transformer", "reference_decoder.py");
        var outFile = Path.GetTempFileName();
        try
        {
            PythonTorch.RunFile(script, modelDir, JsonSerializer.Serialize(ids), outFile);
            var bytes = File.ReadAllBytes(outFile);
            var result = new double[bytes.Length / 8];
            Buffer.BlockCopy(bytes, 0, result, 0, bytes.Length);
            return result;
        }
        finally { File.Delete(outFile); }
    }

    private static long[][] Ids(int batch, int length, int vocab, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, length).Select(_ => (long)rng.Next(vocab)).ToArray()).ToArray();
    }

    private static double MaxAbs(double[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    [Theory]
    [InlineData("qwen2")]
    [InlineData("llama")]
    public void Logits_MatchIndependentPyTorch(string family)
    {
        var dir = TinyModels.Write(family);
        try
        {
            using var model = ModelLoader.Load(dir);
            var ids = Ids(2, 24, model.Config.VocabSize, 3);
            var want = Reference(dir, ids);
            using var scope = DisposeScope.Begin();
            var input = Tensor.From(ids.SelectMany(r => r).ToArray(), 2, 24);
            var logits = model.Forward(input).ToArray<float>();
            var err = MaxAbs(want, logits);
            Assert.True(err < Tolerance, $"{family}: max abs error {err:E3} ≥ {Tolerance}");
            // the logits are not trivially small: the comparison means something
            Assert.True(want.Max(Math.Abs) > 0.5, $"reference logits too small to compare: {want.Max(Math.Abs)}");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("qwen2")]
    [InlineData("llama")]
    public void Logits_WithKvCache_MatchIndependentPyTorch(string family)
    {
        var dir = TinyModels.Write(family, seed: 2);
        try
        {
            using var model = ModelLoader.Load(dir);
            const int T = 20, prefill = 7;
            var ids = Ids(2, T, model.Config.VocabSize, 4);
            var want = Reference(dir, ids);
            long V = model.Config.VocabSize;
            using var cache = model.NewCache(2, T);
            var got = new float[2 * T * V];
            // prefill 7 positions, then one position at a time
            int pos = 0;
            foreach (var step in new[] { prefill }.Concat(Enumerable.Repeat(1, T - prefill)))
            {
                using var scope = DisposeScope.Begin();
                var chunk = Tensor.From(ids.SelectMany(r => r.Skip(pos).Take(step)).ToArray(), 2, step);
                var logits = model.Forward(chunk, cache).ToArray<float>();   // (2, step, V)
                for (int b = 0; b < 2; b++)
                    Array.Copy(logits, b * step * V, got, (b * T + pos) * V, step * V);
                pos += step;
            }
            Assert.Equal(T, cache.Length);
            var err = MaxAbs(want, got);
            Assert.True(err < Tolerance, $"{family} with cache: max abs error {err:E3} ≥ {Tolerance}");
        }
        finally { Directory.Delete(dir, true); }
    }
}
