namespace FineTune.Training.Evaluation;

/// <summary>One variant's (base or an adapter's) accuracy per extraction mode and its generation throughput.</summary>
public sealed record VariantScore(
    double StrictAccuracy, double FlexibleAccuracy, int CorrectStrict, int CorrectFlexible, int Items,
    long TokensGenerated, long PromptTokens, double Seconds, double TokensPerS)
{
    public static VariantScore From(IReadOnlyList<EvalItemResult> results, double seconds)
    {
        int n = results.Count;
        int strict = results.Count(r => r.CorrectStrict), flexible = results.Count(r => r.CorrectFlexible);
        long tokens = results.Sum(r => (long)r.Tokens);
        return new VariantScore(n == 0 ? 0 : strict / (double)n, n == 0 ? 0 : flexible / (double)n, strict, flexible, n,
            tokens, results.Sum(r => (long)r.PromptTokens), Math.Round(seconds, 3), seconds > 0 ? Math.Round(tokens / seconds, 1) : 0);
    }

    public double Accuracy(ExtractionMode mode) => mode == ExtractionMode.Strict ? StrictAccuracy : FlexibleAccuracy;
}
