using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using Microsoft.DurableTask;

namespace FineTune.Pipeline.Activities;

/// <summary>
/// Turns the validated (or synthesized) chat JSONL into the training and validation sets: adds the manifest's system
/// prompt and trigger word, holds out the eval set (a given blob, or a seeded split), mixes in general data, and writes
/// datasets/{id}/train.jsonl, datasets/{id}/val.jsonl and jobs/{id}/prepare/summary.json (last, the done marker).
/// The shuffle is seeded by the data, so a re-run writes the same bytes. Tokenization is the trainer's (it owns the tokenizer).
/// </summary>
public sealed class PrepareActivity(StorageAccount storage) : TaskActivity<JobRequest, PrepareResult>
{
    public override async Task<PrepareResult> RunAsync(TaskActivityContext context, JobRequest job)
    {
        var ct = CancellationToken.None;
        var blobs = storage.Blobs;
        var id = job.JobId;
        if (await blobs.ReadTextAsync(Containers.Jobs, JobPaths.PrepareSummary(id), ct) is { } done)
        {
            var stored = JsonNode.Parse(done)!;
            return new PrepareResult(stored["trainExamples"]!.GetValue<int>(), stored["validationExamples"]!.GetValue<int>(), stored["generalExamples"]!.GetValue<int>());
        }

        var manifest = job.Input.Manifest;
        var inputName = job.Input.Kind == JobKind.Documents ? JobPaths.SyntheticData(id) : JobPaths.ValidatedData(id);
        var examples = await ReadLinesAsync(blobs, Containers.Datasets, inputName, ct)
            ?? throw new PermanentJobException($"the prepared input {Containers.Datasets}/{inputName} is missing; the validate stage did not store it");
        examples = examples.Select(line => Apply(line, manifest)).ToList();

        // Seeded by the content, so the same data always splits the same way (on a re-run, or in another job).
        var random = new Random(Seed(string.Join('\n', examples)));
        Shuffle(examples, random);
        List<string> train, validation;
        if (manifest.EvalSet is { } evalSet)
        {
            validation = (await ReadLinesAsync(blobs, Containers.Datasets, evalSet, ct) ?? await ReadLinesAsync(blobs, Containers.Uploads, evalSet, ct)
                ?? throw new PermanentJobException($"the eval set \"{evalSet}\" was found neither in datasets/ nor in uploads/")).ToList();
            train = examples;
        }
        else
        {
            var held = examples.Count < 2 ? 0 : Math.Max(1, (int)Math.Round(examples.Count * manifest.ValidationFraction));
            validation = examples.Take(held).ToList();
            train = examples.Skip(held).ToList();
        }

        var general = 0;
        if (manifest.GeneralData is { } mix)
        {
            var pool = await ReadLinesAsync(blobs, Containers.Datasets, mix.Dataset, ct)
                ?? throw new PermanentJobException($"the general dataset datasets/{mix.Dataset} does not exist");
            Shuffle(pool, random);
            general = Math.Min(pool.Count, (int)Math.Round(train.Count * mix.Fraction));
            train.AddRange(pool.Take(general));
            Shuffle(train, random);
        }

        await blobs.UploadTextAsync(Containers.Datasets, JobPaths.TrainData(id), Join(train), ct: ct);
        await blobs.UploadTextAsync(Containers.Datasets, JobPaths.ValidationData(id), Join(validation), ct: ct);
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

    private static async Task<List<string>?> ReadLinesAsync(IBlobStore blobs, string container, string name, CancellationToken ct)
    {
        var text = await blobs.ReadTextAsync(container, name, ct);
        return text?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    }

    private static string Join(List<string> lines) => lines.Count == 0 ? "" : string.Join('\n', lines) + "\n";

    private static int Seed(string content) => BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(content)), 0);

    private static void Shuffle(List<string> items, Random random)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
