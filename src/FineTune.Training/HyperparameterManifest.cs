using System.Text.Json;
using System.Text.Json.Nodes;

namespace FineTune.Training;

/// <summary>
/// Hyperparameters as a job manifest or a training spec writes them: keys in snake_case or camelCase (and the usual
/// short names lr, batch, r, alpha, targets). One parser for the pipeline's manifest check and the trainer, so a job
/// that passes the check is a job the trainer accepts.
/// </summary>
public static class HyperparameterManifest
{
    private static readonly Dictionary<string, string> Known =
        typeof(HyperparameterOverrides).GetProperties().ToDictionary(p => p.Name.ToLowerInvariant(), p => p.Name);

    /// <summary>The overrides, or null for none; an unknown key or a value of the wrong type throws <see cref="ArgumentException"/>.</summary>
    public static HyperparameterOverrides? Parse(JsonObject? json)
    {
        if (json is null) return null;
        var normalized = new JsonObject();
        foreach (var (key, value) in json)
        {
            var k = key.Replace("_", "").Replace("-", "").ToLowerInvariant();
            k = k switch { "lr" => "learningrate", "batch" => "batchsize", "rank" or "r" => "lorarank", "alpha" => "loraalpha", "targets" => "loratargets", _ => k };
            if (!Known.TryGetValue(k, out var name))
                throw new ArgumentException($"unknown hyperparameter '{key}' (known: {string.Join(", ", Known.Values.Select(Snake))})");
            normalized[Snake(name)] = value?.DeepClone();
        }
        try
        {
            return normalized.Deserialize<HyperparameterOverrides>(TrainingSpec.Json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"hyperparameter {e.Path?.TrimStart('$', '.') ?? "?"} has a value of the wrong type", e);
        }
    }

    /// <summary>Problems with a preset name and overrides (unknown names, values out of range), or empty.</summary>
    public static IReadOnlyList<string> Check(string? preset, JsonObject? overrides, bool expert = false)
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
            (Parse(overrides)?.ApplyTo(basis) ?? basis).Validate(expert);
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

    private static string Snake(string pascal) => JsonNamingPolicy.SnakeCaseLower.ConvertName(pascal);
}
