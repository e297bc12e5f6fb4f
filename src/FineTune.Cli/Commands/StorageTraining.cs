using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FineTune.Pipeline.Storage;
using FineTune.Training;
using FineTune.Training.Contract;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune train --spec container/name` with FINETUNE_STORAGE set: the pipeline's Train stage. Reads the
/// stage's <see cref="TrainingRunSpec"/> (job_id, base_model, preset, hyperparameters, train, validation, output,
/// metrics — storage addresses), copies what training needs into a local work folder, trains (resuming from checkpoints the
/// output already holds, so a restarted run continues), and writes back: metrics lines to the metrics blob
/// as they come, each epoch checkpoint, and finally the PEFT adapter and result.json under the output.
/// </summary>
public static class StorageTraining
{
    public static async Task<int> RunAsync(string storageSetting, string specAddress, bool resume, CancellationToken ct)
    {
        try { return await RunCoreAsync(storageSetting, specAddress, resume, ct); }
        catch (ArgumentException e) { Console.Error.WriteLine($"finetune train: {e.Message}"); return ExitCodes.Usage; }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or Azure.RequestFailedException or System.Text.Json.JsonException)
        {
            return Fail(e.Message);
        }
    }

    private static async Task<int> RunCoreAsync(string storageSetting, string specAddress, bool resume, CancellationToken ct)
    {
        var storage = StorageAccount.FromSetting(storageSetting);
        var (specContainer, specName) = Split(specAddress);
        var text = await storage.Blobs.ReadTextAsync(specContainer, specName, ct);
        if (text is null) return Fail($"spec {specAddress} not found in {storage.Description}");
        var spec = RunContractJson.Read(text, RunContractJson.Default.TrainingRunSpec, specAddress);

        var work = Path.Combine(Path.GetTempPath(), "finetune-work", Safe(spec.JobId));
        Directory.CreateDirectory(work);
        var model = await ResolveModelAsync(storage, spec.BaseModel, ct);
        var trainFile = Path.Combine(work, "train.jsonl");
        if (!await DownloadAsync(storage, spec.Train, trainFile, ct)) return Fail($"training data {spec.Train} not found");
        string? validationFile = null;
        if (spec.Validation is { } v && await DownloadAsync(storage, v, Path.Combine(work, "validation.jsonl"), ct)
            && new FileInfo(Path.Combine(work, "validation.jsonl")).Length > 0)
            validationFile = Path.Combine(work, "validation.jsonl");

        var (outContainer, outPrefix) = Split(spec.Output);
        var output = Path.Combine(work, "output");
        // Checkpoints already uploaded by an earlier attempt: fetch them, and resume from the newest.
        int restored = 0;
        await foreach (var blob in storage.Blobs.ListAsync(outContainer, outPrefix.TrimEnd('/') + "/checkpoints/", ct))
        {
            var local = Path.Combine(output, blob.Name[(outPrefix.TrimEnd('/').Length + 1)..]);
            await DownloadAsync(storage, $"{outContainer}/{blob.Name}", local, ct);
            restored++;
        }

        var trainingSpec = new TrainingSpec
        {
            Model = model,
            Data = trainFile,
            ValidationData = validationFile,
            Output = output,
            Preset = spec.Preset,
            Hyperparameters = spec.Hyperparameters,
            Expert = spec.Expert,
            LogEvery = spec.LogEvery,
        };
        var metricsAddress = spec.Metrics;
        // A resumed run keeps the lines an earlier attempt logged before the step it resumes from, so the metrics history has
        // no gap and no step twice; its uploads go one after another, so an older snapshot never overwrites a newer one.
        var earlier = metricsAddress is null ? [] : await ReadMetricsAsync(storage, metricsAddress, ct);
        var metricsLines = new StringBuilder();
        var resumedAt = (long?)null;
        var metricsUpload = Task.CompletedTask;
        var pending = new List<Task>();
        void Log(string line)
        {
            if (metricsAddress is null) return;
            metricsLines.AppendLine(line);
            var (mc, mn) = Split(metricsAddress);
            var snapshot = metricsLines.ToString();
            metricsUpload = AfterAsync(metricsUpload, () => storage.Blobs.UploadTextAsync(mc, mn, snapshot, ct: ct));
        }
        // The same lines as the local metrics.jsonl (MetricsLine): step lines, and epoch lines with the epoch's mean training loss
        // and validation loss (the console's per-epoch points).
        void OnEvent(object e)
        {
            switch (e)
            {
                case StepMetrics m:
                    if (resumedAt is null)
                    {
                        resumedAt = m.Step;
                        foreach (var (_, line) in earlier.Where(l => l.Step < m.Step)) metricsLines.AppendLine(line);
                    }
                    Log(MetricsLine.Format(m));
                    break;
                case EpochMetrics ep:
                    Log(MetricsLine.Format(ep));
                    pending.Add(UploadFolderAsync(storage, ep.Checkpoint, outContainer, $"{outPrefix.TrimEnd('/')}/checkpoints/epoch-{ep.Epoch}", ct));
                    break;
            }
        }
        var code = await TrainCommand.RunAsync(trainingSpec, resume || restored > 0, ct, OnEvent);
        pending.Add(metricsUpload);
        await Task.WhenAll(pending);
        if (code != ExitCodes.Ok) return code;
        await UploadFolderAsync(storage, Path.Combine(output, "adapter"), outContainer, outPrefix.TrimEnd('/'), ct);
        await storage.Blobs.UploadTextAsync(outContainer, $"{outPrefix.TrimEnd('/')}/result.json", await File.ReadAllTextAsync(Path.Combine(output, "result.json"), ct), ct: ct);
        return ExitCodes.Ok;
    }

    /// <summary>The metrics lines already in storage with their steps (lines cut by a crash, or of another contract, are dropped).</summary>
    private static async Task<List<(long Step, string Line)>> ReadMetricsAsync(StorageAccount storage, string address, CancellationToken ct)
    {
        var (container, name) = Split(address);
        var text = await storage.Blobs.ReadTextAsync(container, name, ct);
        var lines = new List<(long, string)>();
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                switch (MetricsLine.Parse(line))
                {
                    case StepMetrics m: lines.Add((m.Step, line)); break;
                    case EpochMetrics ep: lines.Add((ep.Step, line)); break;
                }
            }
            catch (InvalidDataException)
            {
                // a line an earlier version wrote: its history starts again here
            }
        }
        return lines;
    }

    /// <summary>
    /// A name the host gave in FINETUNE_LOCAL_MODELS (Pipeline:LocalModels) as its folder; a local folder as is; otherwise a storage address container/prefix, copied into a local cache keyed on the content
    /// (every blob's name and ETag), so a model replaced in storage is fetched again, never served stale.
    /// </summary>
    public static async Task<string> ResolveModelAsync(StorageAccount storage, string baseModel, CancellationToken ct)
    {
        if (!baseModel.Contains('/') && Environment.GetEnvironmentVariable(FineTune.Pipeline.Runs.LocalProcessTrainingBackend.LocalModelsVariable) is { Length: > 0 } named
            && JsonSerializer.Deserialize<Dictionary<string, string>>(named)?.GetValueOrDefault(baseModel) is { } folder)
            return folder;
        if (Directory.Exists(baseModel)) return Path.GetFullPath(baseModel);
        var (container, prefix) = Split(baseModel);
        prefix = prefix.TrimEnd('/');
        var blobs = new List<BlobProperties>();
        await foreach (var blob in storage.Blobs.ListAsync(container, prefix + "/", ct)) blobs.Add(blob);
        if (blobs.Count == 0) throw new FileNotFoundException($"base model '{baseModel}' is neither a local folder nor a folder in storage ({storage.Description})");
        var version = string.Join("\n", blobs.OrderBy(b => b.Name, StringComparer.Ordinal).Select(b => $"{b.Name}|{b.BareETag}"));
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{storage.AccountName}|{storage.Service.Uri}|{baseModel}|{version}")))[..16];
        var cache = Path.Combine(Path.GetTempPath(), "finetune-models", Safe(baseModel) + "-" + key);
        if (File.Exists(Path.Combine(cache, ".complete"))) return cache;
        foreach (var blob in blobs)
            await DownloadAsync(storage, $"{container}/{blob.Name}", Path.Combine(cache, blob.Name[(prefix.Length + 1)..]), ct);
        await File.WriteAllTextAsync(Path.Combine(cache, ".complete"), "", ct);
        return cache;
    }

    internal static async Task<bool> DownloadAsync(StorageAccount storage, string address, string localPath, CancellationToken ct)
    {
        var (c, n) = Split(address);
        await using var download = await storage.Blobs.OpenReadAsync(c, n, ct);
        if (download is null) return false;
        Directory.CreateDirectory(Path.GetDirectoryName(localPath)!);
        await using var file = File.Create(localPath + ".part");
        await download.Content.CopyToAsync(file, ct);
        file.Close();
        File.Move(localPath + ".part", localPath, overwrite: true);
        return true;
    }

    private static async Task UploadFolderAsync(StorageAccount storage, string folder, string container, string prefix, CancellationToken ct)
    {
        foreach (var file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
        {
            await using var stream = File.OpenRead(file);
            var rel = Path.GetRelativePath(folder, file).Replace('\\', '/');
            await storage.Blobs.UploadAsync(container, $"{prefix}/{rel}", stream, ct: ct);
        }
    }

    /// <summary>
    /// Runs <paramref name="next"/> after <paramref name="previous"/>, in order. Each metrics snapshot holds every line so far,
    /// so a failed upload is reported and the next one goes ahead; the last one's failure reaches the caller.
    /// </summary>
    private static async Task AfterAsync(Task previous, Func<Task> next)
    {
        await Task.Yield(); // off the trainer's thread
        try
        {
            await previous;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"finetune train: a metrics upload failed ({e.GetType().Name}: {e.Message}); the next one carries its lines");
        }
        await next();
    }

    internal static (string Container, string Name) Split(string address)
    {
        var i = address.IndexOf('/');
        if (i <= 0 || i == address.Length - 1) throw new ArgumentException($"'{address}' is not a storage address container/name");
        return (address[..i], address[(i + 1)..]);
    }

    internal static string Safe(string s) => string.Concat(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"finetune train: {message}");
        return ExitCodes.Failed;
    }
}
