namespace FineTune.Training.Evaluation;

/// <summary>lm-evaluation-harness's two GSM8K filters (see <see cref="Gsm8kScoring"/>).</summary>
public enum ExtractionMode
{
    /// <summary>strict-match: the number after <c>#### </c>.</summary>
    Strict,
    /// <summary>flexible-extract: the last number in the output.</summary>
    Flexible,
}
