using System.Globalization;

namespace FineTune.Training;

/// <summary>
/// The allowed values of one numeric hyperparameter: [<see cref="Min"/>, <see cref="Max"/>] (or (Min, Max] when
/// <see cref="MinExclusive"/>), widened to <see cref="ExpertMax"/> with <c>expert</c>. <see cref="Hyperparameters.Ranges"/>
/// lists them once; <see cref="Hyperparameters.Validate"/> and the web console's form both read that list.
/// </summary>
public sealed record HyperparameterRange(string Name, double Min, double Max, double ExpertMax, bool MinExclusive = false, bool Integer = false)
{
    public double UpperBound(bool expert) => expert ? ExpertMax : Max;

    public bool Contains(double value, bool expert = false) =>
        !double.IsNaN(value) && (MinExclusive ? value > Min : value >= Min) && value <= UpperBound(expert);

    /// <summary>"learning_rate must be in (0, 0.1] (--expert widens the range)".</summary>
    public string Describe(bool expert = false)
    {
        var max = UpperBound(expert);
        return string.Create(CultureInfo.InvariantCulture,
            $"{Name} must be in {(MinExclusive ? "(" : "[")}{Min}, {max}]{(max < 1000 ? " (--expert widens the range)" : "")}");
    }
}
