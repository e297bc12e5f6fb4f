using System.Text.Json;

namespace FineTune.Training;

/// <summary>
/// The check of a job manifest's preset and hyperparameters, with the trainer's own parser
/// (<see cref="HyperparameterOverrides.Parse(IEnumerable{KeyValuePair{string, JsonElement}})"/>) and ranges
/// (<see cref="HyperparameterTable"/>), so a job that passes the check is a job the trainer accepts.
/// </summary>
public static class HyperparameterManifest
{
    /// <summary>Problems with a preset name and overrides (unknown names, wrong types, values out of range), or empty.</summary>
    public static IReadOnlyList<string> Check(string? preset, IEnumerable<KeyValuePair<string, JsonElement>>? overrides, bool expert = false)
    {
        var problems = new List<string>();
        var name = preset ?? "standard";
        if (!Hyperparameters.Presets.TryGetValue(name, out var basis))
        {
            problems.Add($"unknown preset \"{name}\" (known: {string.Join(", ", Hyperparameters.Presets.Keys)})");
            basis = Hyperparameters.Preset("standard");
        }
        try
        {
            (overrides is null ? basis : HyperparameterOverrides.Parse(overrides).ApplyTo(basis)).Validate(expert);
        }
        catch (ArgumentOutOfRangeException e)
        {
            problems.Add(e.Message.Split(" (Parameter", 2)[0]);
        }
        catch (ArgumentException e)
        {
            problems.Add(e.Message);
        }
        return problems;
    }
}
