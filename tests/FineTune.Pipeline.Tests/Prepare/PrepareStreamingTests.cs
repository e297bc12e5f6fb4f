using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline;
using FineTune.Pipeline.Activities;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using FineTune.Tests.Support;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace FineTune.Pipeline.Tests.Prepare;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    /// <summary>Tests that measure this process's managed heap: they run alone, after the parallel ones.</summary>
    public const string Name = "memory measurement";
}

/// <summary>
/// PrepareActivity streams: it writes what the earlier in-memory version wrote (same shuffle, split and mix, byte for
/// byte), and on tens of megabytes its live managed heap stays a small fraction of the data.
/// </summary>
[Collection(MemoryMeasurementCollection.Name)]
public sealed class PrepareStreamingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly Azurite _azurite = new();
    private StorageAccount _storage = null!;
    private string _work = null!;

    public async Task InitializeAsync()
    {
        await _azurite.InitializeAsync();
        _storage = StorageAccount.FromSetting(_azurite.ConnectionString);
        await _storage.EnsureCreatedAsync();
        _work = RepoPaths.NewTempDirectory("prepare-work");
    }

    public async Task DisposeAsync()
    {
        await _azurite.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Prepare_WritesWhatTheInMemoryVersionWrote(bool evalSetAndMix)
    {
        var id = $"same-{evalSetAndMix}".ToLowerInvariant();
        var input = string.Join('\n', Enumerable.Range(0, 57).Select(i => (i % 9 == 0 ? "  " : "") + Line(i, 20))) + "\n\n  \n";
        await _storage.Blobs.UploadTextAsync(Containers.Datasets, JobPaths.ValidatedData(id), input);
        await _storage.Blobs.UploadTextAsync(Containers.Uploads, $"{id}-eval.jsonl", string.Join('\n', Enumerable.Range(100, 7).Select(i => Line(i, 5))));
        await _storage.Blobs.UploadTextAsync(Containers.Datasets, $"{id}-general.jsonl", string.Join("\r\n", Enumerable.Range(200, 40).Select(i => Line(i, 5))));
        var manifest = new JobManifest
        {
            SystemPrompt = "You are the pump manual.",
            TriggerWord = "PUMPX",
            ValidationFraction = 0.2,
            EvalSet = evalSetAndMix ? $"{id}-eval.jsonl" : null,
            GeneralData = evalSetAndMix ? new GeneralDataMix($"{id}-general.jsonl", 0.3) : null,
        };

        var result = await Activity().RunAsync(null!, Job(id, manifest));

        var (train, validation, general) = InMemoryPrepare(input, manifest,
            evalSetAndMix ? await _storage.Blobs.ReadTextAsync(Containers.Uploads, $"{id}-eval.jsonl") : null,
            evalSetAndMix ? await _storage.Blobs.ReadTextAsync(Containers.Datasets, $"{id}-general.jsonl") : null);
        Assert.Equal(train, await _storage.Blobs.ReadTextAsync(Containers.Datasets, JobPaths.TrainData(id)));
        Assert.Equal(validation, await _storage.Blobs.ReadTextAsync(Containers.Datasets, JobPaths.ValidationData(id)));
        Assert.Equal(new PrepareResult(Count(train), Count(validation), general), result);
        Assert.Equal(evalSetAndMix ? 7 : 11, result.ValidationExamples);
        Assert.Empty(Directory.GetFiles(_work, "*", SearchOption.AllDirectories)); // the work files are removed
    }

    [Fact]
    public async Task Prepare_OnTensOfMegabytes_KeepsItsLiveHeapFarBelowTheData()
    {
        const string id = "big";
        var file = Path.Combine(_work, "big.jsonl");
        await using (var writer = new StreamWriter(file))
            for (var i = 0; writer.BaseStream.Length < 40L << 20; i++)
                await writer.WriteLineAsync(Line(i, 40));
        var inputBytes = new FileInfo(file).Length;
        var lines = File.ReadLines(file).Count();
        await using (var content = File.OpenRead(file))
            await _storage.Blobs.UploadAsync(Containers.Datasets, JobPaths.ValidatedData(id), content);
        File.Delete(file);
        var activity = Activity();

        var baseline = LiveHeap();
        long peak = baseline;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                peak = Math.Max(peak, LiveHeap());
                await Task.Delay(10);
            }
        });
        PrepareResult result;
        try
        {
            result = await activity.RunAsync(null!, Job(id, new JobManifest { ValidationFraction = 0.1 }));
        }
        finally
        {
            await done.CancelAsync();
            await sampler;
        }
        var after = LiveHeap();

        output.WriteLine($"Prepare of {inputBytes >> 20} MiB ({lines} lines): live heap peak +{(peak - baseline) >> 20} MiB, after +{(after - baseline) >> 10} KiB");
        Assert.Equal(lines, result.TrainExamples + result.ValidationExamples);
        Assert.True(peak - baseline < inputBytes / 2,
            $"Prepare of {inputBytes >> 20} MiB held up to {(peak - baseline) >> 20} MiB of live managed memory (allowed: half the data)");
        Assert.True(after - baseline < 8L << 20, $"{(after - baseline) >> 20} MiB still live after Prepare");
        var train = await _storage.Blobs.GetPropertiesAsync(Containers.Datasets, JobPaths.TrainData(id));
        var validation = await _storage.Blobs.GetPropertiesAsync(Containers.Datasets, JobPaths.ValidationData(id));
        Assert.Equal(inputBytes, train!.Length + validation!.Length);
    }

    /// <summary>The managed heap after a full blocking collection: what is live now.</summary>
    private static long LiveHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    private PrepareActivity Activity() => new(_storage, Options.Create(new PipelineOptions { WorkDirectory = _work }));

    private static JobRequest Job(string id, JobManifest manifest) =>
        new(id, new JobInput(new SourceBlob(Containers.Uploads, $"{id}.jsonl", "\"0x1\""), manifest, JobKind.Data));

    private static string Line(int i, int words) => new JsonObject
    {
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "user", ["content"] = $"question {i}: " + string.Join(' ', Enumerable.Repeat("pump", words)) },
            new JsonObject { ["role"] = "assistant", ["content"] = $"answer {i}: " + string.Join(' ', Enumerable.Repeat("valve", words)) }),
    }.ToJsonString();

    private static int Count(string text) => text.Count(c => c == '\n');

    /// <summary>The earlier PrepareActivity, which held every dataset in memory: the reference for the streamed one.</summary>
    private static (string Train, string Validation, int General) InMemoryPrepare(string input, JobManifest manifest, string? evalSet, string? generalData)
    {
        static List<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        static void Shuffle(List<string> items, Random random)
        {
            for (var i = items.Count - 1; i > 0; i--)
            {
                var j = random.Next(i + 1);
                (items[i], items[j]) = (items[j], items[i]);
            }
        }
        static string Join(List<string> lines) => lines.Count == 0 ? "" : string.Join('\n', lines) + "\n";
        var examples = Lines(input).Select(line =>
        {
            var example = JsonNode.Parse(line)!.AsObject();
            var messages = example["messages"]!.AsArray();
            if (manifest.SystemPrompt is { } prompt && messages[0]?["role"]?.GetValue<string>() != "system")
                messages.Insert(0, new JsonObject { ["role"] = "system", ["content"] = prompt });
            if (manifest.TriggerWord is { } trigger)
                foreach (var message in messages.OfType<JsonObject>().Where(m => m["role"]?.GetValue<string>() == "user"))
                    message["content"] = $"{trigger} {message["content"]!.GetValue<string>()}";
            return example.ToJsonString(new JsonSerializerOptions { Encoder = JobJson.Options.Encoder });
        }).ToList();
        var random = new Random(BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', examples))), 0));
        Shuffle(examples, random);
        List<string> train, validation;
        if (evalSet is not null)
        {
            validation = Lines(evalSet);
            train = examples;
        }
        else
        {
            var held = examples.Count < 2 ? 0 : Math.Max(1, (int)Math.Round(examples.Count * manifest.ValidationFraction));
            validation = examples.Take(held).ToList();
            train = examples.Skip(held).ToList();
        }
        var general = 0;
        if (generalData is not null)
        {
            var pool = Lines(generalData);
            Shuffle(pool, random);
            general = Math.Min(pool.Count, (int)Math.Round(train.Count * manifest.GeneralData!.Fraction));
            train.AddRange(pool.Take(general));
            Shuffle(train, random);
        }
        return (Join(train), Join(validation), general);
    }
}
