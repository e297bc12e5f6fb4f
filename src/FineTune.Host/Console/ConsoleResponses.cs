using System.Text.Json.Nodes;
using FineTune.Data;

namespace FineTune.Host.WebConsole;

/// <summary>GET /api/presets: each preset's full hyperparameters (snake_case, as manifests name them) and the ranges a manifest may set.</summary>
public sealed record PresetsResponse(string Default, IReadOnlyList<PresetInfo> Presets, IReadOnlyList<RangeInfo> Ranges, IReadOnlyList<string> Schedulers);

public sealed record PresetInfo(string Name, JsonObject Values);

/// <summary>[min, max] or (min, max] when <paramref name="MinExclusive"/>; <paramref name="Integer"/> for whole numbers.</summary>
public sealed record RangeInfo(string Name, double Min, double Max, bool MinExclusive, bool Integer, string Message);

/// <summary>A base model a job can train: <paramref name="BaseModel"/> is what the manifest's baseModel takes.</summary>
/// <param name="Served">The model `finetune serve --model` serves (the playground's base).</param>
public sealed record BaseModelInfo(string Name, string BaseModel, bool Served);

/// <summary>A top-level blob in the datasets container: usable as a manifest's evalSet or generalData.dataset.</summary>
public sealed record DatasetInfo(string Name, long Bytes, DateTimeOffset LastModified);

/// <summary>POST /api/datasets: the stored name and the validator's report.</summary>
public sealed record DatasetUploadResponse(string Name, ValidationReport Report);

/// <summary>GET /api/synthesized/{id}: the first pairs of a document job's synthetic data.</summary>
public sealed record SynthesizedPairsResponse(IReadOnlyList<SynthesizedPair> Pairs, bool Truncated);

/// <param name="Line">The pair's line in the synthetic data (from 1).</param>
public sealed record SynthesizedPair(long Line, string Question, string Answer, string? Source, int? FirstPage, int? LastPage, double? Grounding, bool Flagged);
