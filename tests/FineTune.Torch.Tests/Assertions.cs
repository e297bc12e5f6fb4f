using FineTune.Torch;

namespace FineTune.Torch.Tests;

internal static class Assertions
{
    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double tol, string what = "")
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol,
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tol})");
    }

    public static void Close(IReadOnlyList<float> expected, Tensor actual, double tol, string what = "") =>
        Close(expected.Select(x => (double)x).ToArray(), actual.ToArray<float>().Select(x => (double)x).ToArray(), tol, what);

    /// <summary>
    /// y, a float32 linear layer's output, against x·wᵀ + b computed in float64 by ATen from the same (detached) values:
    /// the same shape, every element within <paramref name="tol"/>.
    /// </summary>
    public static void LinearMatchesFloat64(Tensor y, Tensor x, Tensor w, Tensor? b, double tol, string what)
    {
        using var scope = DisposeScope.Begin();
        using var noGrad = LibTorch.NoGrad();
        var reference = Functional.Linear(x.Detach().To(DType.Float64), w.Detach().To(DType.Float64), b?.Detach().To(DType.Float64));
        Assert.Equal(reference.Shape, y.Shape);
        Close(reference.D(), y.Detach().To(DType.Float64).D(), tol, what);
    }

    /// <summary>The names of the ops libtorch's profiler recorded while <paramref name="body"/> ran (a Chrome trace in a temp folder).</summary>
    public static HashSet<string?> OpsRecorded(Action body)
    {
        var dir = Directory.CreateTempSubdirectory("ft-trace");
        try
        {
            var path = Path.Combine(dir.FullName, "trace.json");
            using (LibTorch.Profile(path)) body();
            return System.Text.Json.JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray()
                .Select(e => e.GetProperty("name").GetString()).ToHashSet();
        }
        finally
        {
            dir.Delete(true);
        }
    }

    public static double[] D(this Tensor t) => t.ToArray<double>();
    public static float[] F(this Tensor t) => t.ToArray<float>();
}
