using System.Globalization;

namespace FineTune.Training;

/// <summary>
/// The allowed values of one numeric hyperparameter: [<see cref="Min"/>, <see cref="Max"/>] (or (Min, Max] when
/// <see cref="MinExclusive"/>), widened to <see cref="ExpertMax"/> with <c>expert</c>. Each lives in its row of
/// <see cref="HyperparameterTable"/>, which names it; <see cref="Hyperparameters.Validate"/> and the web console's form read it.
/// </summary>
public sealed record HyperparameterRange(double Min, double Max, double ExpertMax, bool MinExclusive = false)
{
    /// <summary>The hyperparameter's snake_case name (set by its definition).</summary>
    public string Name { get; init; } = "";
    /// <summary>Whole numbers only (set by its definition).</summary>
    public bool Integer { get; init; }

    public double UpperBound(bool expert) => expert ? ExpertMax : Max;

    public bool Contains(double value, bool expert = false) =>
        !double.IsNaN(value) && (MinExclusive ? value > Min : value >= Min) && value <= UpperBound(expert);

    /// <summary>"in (0, 0.1]".</summary>
    public string Interval(bool expert = false) =>
        string.Create(CultureInfo.InvariantCulture, $"in {(MinExclusive ? "(" : "[")}{Min}, {UpperBound(expert)}]");

    /// <summary>"learning_rate must be in (0, 0.1] (--expert widens the range)".</summary>
    public string Describe(bool expert = false) =>
        $"{Name} must be {Interval(expert)}{(UpperBound(expert) < ExpertMax ? " (--expert widens the range)" : "")}";
}
