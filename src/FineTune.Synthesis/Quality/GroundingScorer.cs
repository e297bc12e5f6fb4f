namespace FineTune.Synthesis;

/// <summary>
/// A cheap grounding check: the share of an answer's <see cref="TextFeatures"/> that also occur in its source chunk
/// (0 = nothing in common, 1 = every feature found). Answers below the threshold are flagged as possibly invented;
/// answers may explain, so the default threshold is low.
/// </summary>
public static class GroundingScorer
{
    public static double Score(string answer, IReadOnlySet<string> sourceFeatures)
    {
        var features = TextFeatures.Of(answer);
        if (features.Count == 0)
            return 0;
        return (double)features.Count(sourceFeatures.Contains) / features.Count;
    }

    public static double Score(string answer, string source) => Score(answer, TextFeatures.Of(source));
}
