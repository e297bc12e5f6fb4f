using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline.Storage;
using FineTune.Training.Contract;
using FineTune.Training.Evaluation;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune eval --spec container/name` with FINETUNE_STORAGE set: the pipeline's Evaluate stage. Reads
/// the <see cref="EvaluationRunSpec"/> (job_id, base_model, adapter, data, results, min_improvement, on_gate_fail), evaluates base, the
/// tuned adapter and each epoch checkpoint on the same items with the same greedy decoding, applies the
/// deployment gate (<see cref="DeploymentGate"/>), and writes results.json ({gate, report}) plus the
/// report and per-item files beside it. Progress goes to stdout as <see cref="RunProgress"/> lines.
/// </summary>
public static class StorageEvaluation
{
    public static async Task<int> RunAsync(string storageSetting, string specAddress, CancellationToken ct)
    {
        try { return await RunCoreAsync(storageSetting, specAddress, ct); }
        catch (ArgumentException e) { Console.Error.WriteLine($"finetune eval: {e.Message}"); return ExitCodes.Usage; }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or Azure.RequestFailedException or JsonException
                                      or FineTune.Models.Checkpoints.CheckpointFormatException or FineTune.Models.Tokenization.TokenizerFormatException)
        {
            Console.Error.WriteLine($"finetune eval: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    private static async Task<int> RunCoreAsync(string storageSetting, string specAddress, CancellationToken ct)
    {
        var storage = StorageAccount.FromSetting(storageSetting);
        var (sc, sn) = StorageTraining.Split(specAddress);
        var text = await storage.Blobs.ReadTextAsync(sc, sn, ct) ?? throw new FileNotFoundException($"spec {specAddress} not found in {storage.Description}");
        var spec = RunContractJson.Read(text, RunContractJson.Default.EvaluationRunSpec, specAddress);
        var work = Path.Combine(Path.GetTempPath(), "finetune-work", StorageTraining.Safe(spec.JobId), "evaluate");
        if (Directory.Exists(work)) Directory.Delete(work, true);
        Directory.CreateDirectory(work);

        var model = await StorageTraining.ResolveModelAsync(storage, spec.BaseModel, ct);
        var dataPath = Path.Combine(work, "data.jsonl");
        if (!await StorageTraining.DownloadAsync(storage, spec.Data, dataPath, ct) || new FileInfo(dataPath).Length == 0)
            throw new InvalidDataException($"no evaluation data at {spec.Data}: give the manifest an evalSet, or a validationFraction above 0");

        // The adapter and its checkpoints: only the PEFT files (not optimizer or RNG state).
        var (ac, ap) = StorageTraining.Split(spec.Adapter.TrimEnd('/') + "/");
        var adapterDir = Path.Combine(work, "adapter");
        await foreach (var blob in storage.Blobs.ListAsync(ac, ap.TrimEnd('/') + "/", ct))
        {
            var rel = blob.Name[(ap.TrimEnd('/').Length + 1)..];
            if (Path.GetFileName(rel) is "adapter_config.json" or "adapter_model.safetensors" && !rel.Contains(".tmp/", StringComparison.Ordinal))
                await StorageTraining.DownloadAsync(storage, $"{ac}/{blob.Name}", Path.Combine(adapterDir, rel), ct);
        }
        var tunedDir = File.Exists(Path.Combine(adapterDir, "adapter_config.json")) ? adapterDir : Path.Combine(adapterDir, "adapter");
        if (!File.Exists(Path.Combine(tunedDir, "adapter_config.json")))
            throw new FileNotFoundException($"no trained adapter under {spec.Adapter}");
        var adapters = new List<AdapterRef> { new("tuned", tunedDir) };
        var checkpoints = Path.Combine(adapterDir, "checkpoints");
        if (Directory.Exists(checkpoints))
            foreach (var dir in Directory.GetDirectories(checkpoints, "epoch-*").OrderBy(d => int.TryParse(Path.GetFileName(d)[6..], out var n) ? n : 0))
                if (File.Exists(Path.Combine(dir, "adapter_config.json")))
                    adapters.Add(new AdapterRef(Path.GetFileName(dir), dir));

        var evalSpec = new EvalSpec
        {
            Model = model, Output = Path.Combine(work, "out"), Adapters = adapters, Data = spec.Data,
            MaxNewTokens = spec.MaxNewTokens, BatchSize = spec.BatchSize,
        }.Validate();
        var variants = new List<string>();
        var report = await Evaluator.RunAsync(evalSpec, dataPath, null, p =>
        {
            if (!variants.Contains(p.Variant)) variants.Add(p.Variant);
            double fraction = (variants.IndexOf(p.Variant) + (double)p.Done / Math.Max(1, p.Total)) / (adapters.Count + 1);
            Console.WriteLine(new RunProgress { Fraction = Math.Round(fraction, 4), Variant = p.Variant, Done = p.Done, Total = p.Total }.ToLine());
        }, ct);

        var gate = DeploymentGate.Decide(report, "tuned", spec.MinImprovement, spec.OnGateFail);
        Console.WriteLine($"eval: {gate.Reason}");

        var (rc, rn) = StorageTraining.Split(spec.Results);
        var folder = rn.Contains('/') ? rn[..rn.LastIndexOf('/')] : "";
        foreach (var file in Directory.GetFiles(evalSpec.Output))
        {
            await using var stream = File.OpenRead(file);
            await storage.Blobs.UploadAsync(rc, $"{folder}/{Path.GetFileName(file)}".TrimStart('/'), stream, ct: ct);
        }
        using var reportJson = JsonDocument.Parse(report.ToJson());
        var results = new EvaluationResults(GateRecord.From(gate, "flexible_accuracy"), reportJson.RootElement);
        await storage.Blobs.UploadTextAsync(rc, rn, JsonSerializer.Serialize(results, EvaluationResultsJson.Default.EvaluationResults), ct: ct);
        return ExitCodes.Ok;
    }
}
