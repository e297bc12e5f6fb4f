using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Training;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FineTune.Host.WebConsole;

/// <summary>GET /api/presets, derived from the trainer's own definitions (<see cref="Hyperparameters.Presets"/>, <see cref="Hyperparameters.Ranges"/>).</summary>
public static class PresetCatalog
{
    private static readonly JsonSerializerOptions Snake = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static PresetsResponse Build() => new(
        Default: new TrainingSpec { Model = "", Data = "", Output = "" }.Preset,
        Presets: [.. Hyperparameters.Presets.Select(p => new PresetInfo(p.Key, (JsonObject)JsonSerializer.SerializeToNode(p.Value, Snake)!))],
        Ranges: [.. Hyperparameters.Ranges.Select(r => new RangeInfo(r.Name, r.Min, r.Max, r.MinExclusive, r.Integer, r.Describe()))],
        Schedulers: Hyperparameters.Schedulers);

    public static Ok<PresetsResponse> Get() => TypedResults.Ok(Build());
}
