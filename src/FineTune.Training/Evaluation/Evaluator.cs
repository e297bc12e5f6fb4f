// GSM8K-style evaluation: the base model and each adapter answer the same prompts with the same decoding,
// batched; outputs are scored with lm-evaluation-harness's strict and flexible extraction. One model load
// serves every variant: adapters are attached and detached in turn.
using System.Diagnostics;
using System.Text.Json;
using FineTune.Models.Chat;
using FineTune.Models.Generation;
using FineTune.Models.Lora;
using FineTune.Models.Tokenization;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Training.Evaluation;

public static class Evaluator
{
    /// <summary>Reads the eval set (and a separate few-shot set, if given), then <see cref="Run"/>.</summary>
    public static async Task<EvalReport> RunAsync(EvalSpec spec, string dataPath, string? fewShotPath = null,
        Action<EvalProgress>? onProgress = null, CancellationToken ct = default)
    {
        var items = await EvalSet.LoadAsync(dataPath, ct);
        var pool = fewShotPath is null ? null : await EvalSet.LoadAsync(fewShotPath, ct);
        return Run(spec with { Data = spec.Data ?? Path.GetFullPath(dataPath) }, items, pool, onProgress, ct);
    }

    /// <summary>
    /// Evaluates base (unless excluded) and every adapter on <paramref name="items"/> (less the shots taken from
    /// them), writes items.NAME.jsonl per variant and report.json into <see cref="EvalSpec.Output"/>.
    /// </summary>
    public static EvalReport Run(EvalSpec spec, IReadOnlyList<EvalItem> items, IReadOnlyList<EvalItem>? fewShotPool = null,
        Action<EvalProgress>? onProgress = null, CancellationToken ct = default)
    {
        spec.Validate();
        foreach (var a in spec.Adapters)
            if (!Directory.Exists(a.Path)) throw new DirectoryNotFoundException($"adapter '{a.Name}': folder not found: {a.Path}");
        var (shots, evaluated) = EvalPrompts.Split(items, spec.Shots, fewShotPool);
        if (spec.Limit > 0) evaluated = evaluated.Take(spec.Limit).ToList();

        var device = spec.Device is { } d ? Device.Parse(d) : LibTorch.CudaAvailable ? Device.Cuda() : Device.Cpu;
        var tokenizer = Tokenizer.Load(spec.Model);
        var template = ChatTemplate.ForTokenizer(tokenizer, spec.ChatTemplate);
        var conversations = evaluated.Select(i => EvalPrompts.Build(i, shots)).ToList();
        var prompts = conversations.Select(c => template.Render(c, addGenerationPrompt: true).ids).ToList();
        var promptTexts = conversations.Select(c => template.RenderText(c, addGenerationPrompt: true)).ToList();
        var references = evaluated.Select(i => Gsm8kScoring.Reference(i.Answer)).ToList();

        using var model = ModelLoader.Load(spec.Model, device);
        model.SetTraining(false);
        int maxPositions = model.Config.MaxPositionEmbeddings;
        for (int i = 0; i < prompts.Count; i++)
            if (prompts[i].Length >= maxPositions)
                throw new InvalidDataException($"item {i}: its prompt ({prompts[i].Length} tokens with {shots.Count} shots) leaves no room in the model's {maxPositions} positions");
        var eos = new[] { template.EndOfTurnTokenId }.Concat(model.Config.EosTokenIds).Distinct().ToArray();
        var decoding = new DecodingSettings(spec.Temperature <= 0, spec.Temperature, spec.TopP, spec.Temperature <= 0 ? null : spec.Seed,
            spec.MaxNewTokens, spec.BatchSize, eos.Select(id => tokenizer.IdToToken(id) ?? id.ToString()).ToList());

        var variants = new List<(string Name, string? Path)>();
        if (spec.IncludeBase) variants.Add((AdapterRef.BaseName, null));
        variants.AddRange(spec.Adapters.Select(a => (a.Name, (string?)a.Path)));

        // Warm-up (JIT, libtorch's first-call allocations) so the first variant's throughput is not penalised.
        if (prompts.Count > 0)
            new Generator(model).Generate([prompts[0]], new SamplingOptions { MaxNewTokens = 2, EosTokenIds = eos }, cancellationToken: ct);

        Directory.CreateDirectory(spec.Output);
        var results = new Dictionary<string, VariantScore>(StringComparer.Ordinal);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, path) in variants)
        {
            LoraAdapter.RemoveFrom(model);
            using var adapter = path is null ? null : LoraAdapter.Load(path, model);
            adapter?.AttachTo(model);
            try
            {
                var clock = Stopwatch.StartNew();
                var outputs = Generate(model, prompts, spec, eos, p => onProgress?.Invoke(new EvalProgress(name, p, prompts.Count)), ct);
                double seconds = clock.Elapsed.TotalSeconds;
                var itemResults = new List<EvalItemResult>(prompts.Count);
                for (int i = 0; i < prompts.Count; i++)
                {
                    var o = outputs[i];
                    var text = tokenizer.Decode(o.Tokens);
                    var (reference, kind) = references[i];
                    var score = Gsm8kScoring.Score(text, reference, kind);
                    itemResults.Add(new EvalItemResult(i, promptTexts[i], text, score.Strict, score.Flexible, reference,
                        score.CorrectStrict, score.CorrectFlexible, o.FinishReason == FinishReason.Stop ? "stop" : "length", o.PromptTokens, o.Tokens.Length));
                }
                files[name] = WriteItems(spec.Output, name, itemResults);
                results[name] = VariantScore.From(itemResults, seconds);
            }
            finally
            {
                LoraAdapter.RemoveFrom(model);
            }
        }

        var report = new EvalReport(Path.GetFullPath(spec.Model), spec.Adapters.Select(a => a with { Path = Path.GetFullPath(a.Path) }).ToList(),
            spec.Data, evaluated.Count, shots.Count, decoding, template.Choice.ToString(), device.ToString(), results, files);
        WriteAtomically(Path.Combine(spec.Output, EvalReport.FileName), report.ToJson());
        return report;
    }

    /// <summary>Generates for every prompt in batches of similar length; results come back in prompt order.</summary>
    private static GenerationResult[] Generate(DecoderModel model, IReadOnlyList<int[]> prompts, EvalSpec spec, int[] eos,
        Action<int> onDone, CancellationToken ct)
    {
        var order = Enumerable.Range(0, prompts.Count).OrderByDescending(i => prompts[i].Length).ThenBy(i => i).ToArray();
        var outputs = new GenerationResult[prompts.Count];
        var generator = new Generator(model);
        int done = 0;
        for (int start = 0; start < order.Length; start += spec.BatchSize)
        {
            var batch = order.Skip(start).Take(spec.BatchSize).ToArray();
            int longest = batch.Max(i => prompts[i].Length);
            var options = new SamplingOptions
            {
                // Near the context limit a batch gets what room is left (the longest prompt decides).
                MaxNewTokens = Math.Min(spec.MaxNewTokens, model.Config.MaxPositionEmbeddings - longest),
                Temperature = spec.Temperature,
                TopP = spec.TopP,
                EosTokenIds = eos,
                Seed = spec.Temperature > 0 ? spec.Seed + (ulong)start : null,
            };
            var got = generator.Generate(batch.Select(i => prompts[i]).ToList(), options, cancellationToken: ct);
            for (int k = 0; k < batch.Length; k++) outputs[batch[k]] = got[k];
            done += batch.Length;
            onDone(done);
        }
        return outputs;
    }

    private static string WriteItems(string folder, string name, IReadOnlyList<EvalItemResult> items)
    {
        var path = Path.GetFullPath(Path.Combine(folder, $"items.{name}.jsonl"));
        WriteAtomically(path, string.Concat(items.Select(r => JsonSerializer.Serialize(r, EvalReport.ItemJson) + "\n")));
        return path;
    }

    private static void WriteAtomically(string path, string text)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
