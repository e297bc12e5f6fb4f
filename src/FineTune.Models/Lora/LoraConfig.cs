using System.Text.Json;
using System.Text.Json.Nodes;

namespace FineTune.Models.Lora;

/// <summary>
/// A LoRA adapter's shape, as PEFT's adapter_config.json states it. Scaling is alpha / r, or
/// alpha / √r with rsLoRA. Targets are module names (q_proj … down_proj).
/// </summary>
public sealed record LoraConfig
{
    public static readonly IReadOnlyList<string> AllLinear = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 16;
    public double Dropout { get; init; }
    public IReadOnlyList<string> TargetModules { get; init; } = AllLinear;
    public bool UseRsLora { get; init; }
    public string? BaseModelNameOrPath { get; init; }

    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    public LoraConfig Validate()
    {
        if (Rank is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(Rank), Rank, "LoRA rank must be in 1–1024");
        if (!(Alpha > 0)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "LoRA alpha must be > 0");
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "LoRA dropout must be in [0, 1)");
        if (TargetModules.Count == 0) throw new ArgumentException("LoRA needs at least one target module");
        foreach (var t in TargetModules)
            if (!AllLinear.Contains(t))
                throw new ArgumentException($"unknown LoRA target '{t}' (known: {string.Join(", ", AllLinear)}, or all-linear)");
        return this;
    }

    /// <summary>Parses a target list: "all-linear", "all", or comma-separated module names (short names q,k,v,o,gate,up,down too).</summary>
    public static IReadOnlyList<string> ParseTargets(string text)
    {
        var t = text.Trim();
        if (t is "all-linear" or "all" or "") return AllLinear;
        return t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => x.EndsWith("_proj", StringComparison.Ordinal) ? x : x + "_proj").Distinct().ToArray();
    }

    public const string FileName = "adapter_config.json";

    /// <summary>PEFT's adapter_config.json for this adapter.</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = BaseModelNameOrPath,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["lora_alpha"] = Alpha,
            ["lora_dropout"] = Dropout,
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = Rank,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = new JsonArray(TargetModules.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
            ["task_type"] = "CAUSAL_LM",
            ["use_dora"] = false,
            ["use_rslora"] = UseRsLora,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads PEFT's adapter_config.json; features we do not implement are errors naming them.</summary>
    public static LoraConfig Parse(string json, string source = FileName)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON: {e.Message}", e); }
        if (root is not JsonObject o) throw new InvalidDataException($"{source}: expected a JSON object");
        string? Str(string k) => o[k] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (Str("peft_type") is { } type && type != "LORA") throw new InvalidDataException($"{source}: peft_type '{type}' is not supported (LORA only)");
        if (o["use_dora"] is JsonValue d && d.TryGetValue<bool>(out var dora) && dora) throw new InvalidDataException($"{source}: use_dora is not supported");
        if (o["fan_in_fan_out"] is JsonValue f && f.TryGetValue<bool>(out var fifo) && fifo) throw new InvalidDataException($"{source}: fan_in_fan_out is not supported");
        if (Str("bias") is { } bias && bias != "none") throw new InvalidDataException($"{source}: bias '{bias}' is not supported (none only)");
        foreach (var pattern in new[] { "rank_pattern", "alpha_pattern" })
            if (o[pattern] is JsonObject p && p.Count > 0) throw new InvalidDataException($"{source}: {pattern} is not supported");
        if (o["modules_to_save"] is JsonArray m && m.Count > 0) throw new InvalidDataException($"{source}: modules_to_save ({string.Join(", ", m)}) is not supported");
        var targets = o["target_modules"] switch
        {
            JsonArray a => a.Select(x => x!.GetValue<string>()).ToArray(),
            JsonValue v when v.TryGetValue<string>(out var s) => ParseTargets(s),
            _ => throw new InvalidDataException($"{source}: target_modules is missing"),
        };
        return new LoraConfig
        {
            Rank = o["r"]?.GetValue<int>() ?? throw new InvalidDataException($"{source}: r is missing"),
            Alpha = o["lora_alpha"]?.GetValue<double>() ?? 8,
            Dropout = o["lora_dropout"]?.GetValue<double>() ?? 0,
            TargetModules = targets,
            UseRsLora = o["use_rslora"] is JsonValue r && r.TryGetValue<bool>(out var rs) && rs,
            BaseModelNameOrPath = Str("base_model_name_or_path"),
        }.Validate();
    }
}
