namespace FineTune.Training.Evaluation;

/// <summary>How a reference answer was read (see <see cref="Gsm8kScoring.Reference"/>).</summary>
public enum ReferenceKind
{
    /// <summary>A GSM8K answer ending in <c>#### N</c>.</summary>
    Marked,
    /// <summary>No <c>####</c>: the answer's last number.</summary>
    Number,
    /// <summary>No number: the whole normalized text, matched against the whole output.</summary>
    Text,
}
