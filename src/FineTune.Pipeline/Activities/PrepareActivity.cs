using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// Turns the validated (or synthesized) chat JSONL into the training and validation sets: adds the manifest's system
/// prompt and trigger word, holds out the eval set (a given blob, or a seeded split), mixes in general data, and writes
/// datasets/{id}/train.jsonl, datasets/{id}/val.jsonl and jobs/{id}/prepare/summary.json (last, the done marker).
/// The shuffle is seeded by the data, so a re-run writes the same bytes. Tokenization is the trainer's (it owns the tokenizer).
/// Streamed: every input goes line by line into a <see cref="LineFile"/> in the job's work folder, the shuffles and splits
/// move line numbers only, and the outputs are written to work files and streamed to storage, so memory stays a few bytes
/// a line whatever the dataset's size.
/// </summary>
public sealed class PrepareActivity(StorageAccount storage, IOptions<PipelineOptions> options) : TaskActivity<JobRequest, PrepareResult>
{
    public override async Task<PrepareResult> RunAsync(TaskActivityContext context, JobRequest job)
    {
        var ct = CancellationToken.None;
        if (await storage.Blobs.ReadTextAsync(Containers.Jobs, JobPaths.PrepareSummary(job.JobId), ct) is { } done)
        {
            var stored = JsonNode.Parse(done)!;
            return new PrepareResult(stored["trainExamples"]!.GetValue<int>(), stored["validationExamples"]!.GetValue<int>(), stored["generalExamples"]!.GetValue<int>());
        }
        var work = WorkFolder.NewAttempt(options.Value.WorkDirectory, job.JobId, "prepare");
        try
        {
            return await PrepareAsync(job, work, ct);
        }
        finally
        {
            WorkFolder.Delete(work);
        }
    }

    private async Task<PrepareResult> PrepareAsync(JobRequest job, string work, CancellationToken ct)
    {
        var blobs = storage.Blobs;
        var id = job.JobId;
        var manifest = job.Input.Manifest;
        var inputName = job.Input.Kind == JobKind.Documents ? JobPaths.SyntheticData(id) : JobPaths.ValidatedData(id);
        using var examples = await LineFile.FromBlobAsync(blobs, Containers.Datasets, inputName, Path.Combine(work, "examples.jsonl"), line => Apply(line, manifest), ct)
            ?? throw new PermanentJobException($"the prepared input {Containers.Datasets}/{inputName} is missing; the validate stage did not store it");

        // Seeded by the content, so the same data always splits the same way (on a re-run, or in another job).
        var random = new Random(examples.Seed);
        var order = Lines(examples);
        Shuffle(order, random);
        List<(LineFile File, int Line)> train, validation;
        using var evalLines = manifest.EvalSet is { } evalSet
            ? await LineFile.FromBlobAsync(blobs, Containers.Datasets, evalSet, Path.Combine(work, "eval.jsonl"), null, ct)
              ?? await LineFile.FromBlobAsync(blobs, Containers.Uploads, evalSet, Path.Combine(work, "eval-upload.jsonl"), null, ct)
              ?? throw new PermanentJobException($"the eval set \"{evalSet}\" was found neither in datasets/ nor in uploads/")
            : null;
        if (evalLines is not null)
        {
            validation = Lines(evalLines);
            train = order;
        }
        else
        {
            var held = order.Count < 2 ? 0 : Math.Max(1, (int)Math.Round(order.Count * manifest.ValidationFraction));
            validation = order[..held];
            train = order[held..];
        }

        var general = 0;
        using var pool = manifest.GeneralData is { } mix
            ? await LineFile.FromBlobAsync(blobs, Containers.Datasets, mix.Dataset, Path.Combine(work, "general.jsonl"), null, ct)
              ?? throw new PermanentJobException($"the general dataset datasets/{mix.Dataset} does not exist")
            : null;
        if (pool is not null)
        {
            var pooled = Lines(pool);
            Shuffle(pooled, random);
            general = Math.Min(pooled.Count, (int)Math.Round(train.Count * manifest.GeneralData!.Fraction));
            train.AddRange(pooled.Take(general));
            Shuffle(train, random);
        }

        await UploadAsync(JobPaths.TrainData(id), train, Path.Combine(work, "train.jsonl"), ct);
        await UploadAsync(JobPaths.ValidationData(id), validation, Path.Combine(work, "val.jsonl"), ct);
        var summary = new JsonObject
        {
            ["train"] = Containers.Datasets + "/" + JobPaths.TrainData(id),
            ["validation"] = Containers.Datasets + "/" + JobPaths.ValidationData(id),
            ["trainExamples"] = train.Count,
            ["validationExamples"] = validation.Count,
            ["generalExamples"] = general,
        };
        await blobs.UploadTextAsync(Containers.Jobs, JobPaths.PrepareSummary(id), summary.ToJsonString(JobJson.Options), ct: ct);
        return new PrepareResult(train.Count, validation.Count, general);
    }

    /// <summary>Writes the lines, in order, to a work file and streams it to datasets/<paramref name="name"/>.</summary>
    private async Task UploadAsync(string name, List<(LineFile File, int Line)> lines, string path, CancellationToken ct)
    {
        await using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024))
            foreach (var (file, line) in lines)
                file.CopyLine(line, output);
        await using var content = File.OpenRead(path);
        await storage.Blobs.UploadAsync(Containers.Datasets, name, content, ct: ct);
    }

    private static List<(LineFile, int)> Lines(LineFile file)
    {
        var lines = new List<(LineFile, int)>(file.Count);
        for (var i = 0; i < file.Count; i++) lines.Add((file, i));
        return lines;
    }

    private static string Apply(string line, JobManifest manifest)
    {
        if (manifest.SystemPrompt is null && manifest.TriggerWord is null) return line;
        var example = JsonNode.Parse(line)!.AsObject();
        var messages = example["messages"]!.AsArray();
        if (manifest.SystemPrompt is { } prompt && (messages.Count == 0 || messages[0]?["role"]?.GetValue<string>() != "system"))
            messages.Insert(0, new JsonObject { ["role"] = "system", ["content"] = prompt });
        if (manifest.TriggerWord is { } trigger)
            foreach (var message in messages.OfType<JsonObject>().Where(m => m["role"]?.GetValue<string>() == "user"))
                message["content"] = $"{trigger} {message["content"]!.GetValue<string>()}";
        return example.ToJsonString(new JsonSerializerOptions { Encoder = JobJson.Options.Encoder });
    }

    private static void Shuffle<T>(List<T> items, Random random)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
