using System.Net;
using System.Net.Sockets;
using System.Text;
using FineTune.Pipeline;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Orchestration;
using FineTune.Pipeline.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FineTune.Tests.Support;

/// <summary>
/// The job orchestration and its activities under Durable's in-memory test host, on a real Azurite, with a scripted
/// training backend and a fake OpenAI endpoint for synthesis, at test-speed timings. One per test class: the containers
/// are shared, so each test names its own blobs and never assumes an empty container.
/// </summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    public const string BaseModel = "models/tiny";
    public const string SystemPrompt = "You are the pump manual.";

    private readonly Azurite _azurite = new();
    private string? _work;

    public StorageAccount Storage { get; private set; } = null!;
    public FakeTrainingBackend Backend { get; private set; } = null!;
    public FakeOpenAIServer Llm { get; private set; } = null!;
    /// <summary>What the worker and the activities logged (Warning and above).</summary>
    public RecordingLoggerProvider Logs { get; } = new();
    public DurableTaskTestHost Host { get; private set; } = null!;
    public DurableTaskClient Client => Host.Client;
    public JobStarter Starter => Host.Services.GetRequiredService<JobStarter>();
    public JobControl Control => Host.Services.GetRequiredService<JobControl>();
    public IBlobStore Blobs => Storage.Blobs;
    public string WorkDirectory => _work!;

    public async Task InitializeAsync()
    {
        // The test host's own Kestrel logs every gRPC call at Information through its default console logging.
        Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");
        await _azurite.InitializeAsync();
        Storage = StorageAccount.FromSetting(_azurite.ConnectionString);
        await Storage.EnsureCreatedAsync();
        await Storage.Blobs.UploadTextAsync(Containers.Models, "tiny/config.json", """{"model_type":"tiny"}""");
        Backend = new FakeTrainingBackend(Storage);
        Llm = await EchoLlm.StartAsync();
        _work = RepoPaths.NewTempDirectory("pipeline-work");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pipeline:TrainingPollInterval"] = "00:00:00.2",
            ["Pipeline:MaxTrainingPollInterval"] = "00:00:00.4",
            ["Pipeline:ActivityFirstRetry"] = "00:00:00.1",
            ["Pipeline:ActivityMaxRetry"] = "00:00:00.2",
            ["Pipeline:ActivityMaxAttempts"] = "2",
            ["Pipeline:SynthesisBatchSize"] = "1",
            ["Pipeline:WorkDirectory"] = _work,
            ["Pipeline:Synthesis:Endpoint"] = Llm.BaseUrl.ToString(),
            ["Pipeline:Synthesis:Model"] = "test-model",
            ["Pipeline:Synthesis:QuestionsPerChunk"] = "5",
            ["Pipeline:Synthesis:SystemPrompt"] = SystemPrompt,
        }).Build();
        Host = await DurableTaskTestHost.StartAsync(tasks => tasks.AddFineTuneTasks(), new DurableTaskTestHostOptions
        {
            Port = FreePort(),
            ConfigureServices = services =>
            {
                services.AddSingleton<IConfiguration>(configuration);
                services.AddSingleton<ILoggerProvider>(Logs);
                services.AddFineTunePipeline(Storage, Backend);
            },
        });
    }

    public async Task DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        if (Llm is not null) await Llm.DisposeAsync();
        await _azurite.DisposeAsync();
        if (_work is not null)
        {
            try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A fresh folder in uploads/ for one test.</summary>
    public static string NewFolder(string test) => $"{test}-{Guid.NewGuid():N}"[..Math.Min(test.Length + 13, 60)] + "/";

    /// <summary>The manifest of most tests: the tiny model, no gate.</summary>
    public static string Manifest(string extra = "") =>
        $$"""{"baseModel":"{{BaseModel}}"{{(extra.Length == 0 ? "" : "," + extra)}}}""";

    /// <summary>Uploads the data (and the manifest beside it, "{stem}.job.json") and starts its job through <see cref="JobStarter"/>.</summary>
    public async Task<(string JobId, BlobProperties Blob)> StartAsync(string name, string content, string? manifest, FakeTrainingBackend.Script? script = null)
    {
        if (manifest is not null)
        {
            var stem = name[..name.LastIndexOf('.')];
            await Blobs.UploadTextAsync(Containers.Uploads, stem + JobStarter.ManifestSuffix, manifest);
        }
        var blob = await Blobs.UploadBytesAsync(Containers.Uploads, name, Encoding.UTF8.GetBytes(content));
        if (script is not null) Backend.For(JobPaths.IdFor(Containers.Uploads, name, blob.ETag), script);
        var started = await Starter.StartAsync(Containers.Uploads, name, blob.ETag);
        Assert.NotNull(started);
        Assert.True(started.Created);
        Assert.Equal(JobPaths.IdFor(Containers.Uploads, name, blob.ETag), started.JobId);
        return (started.JobId, blob);
    }

    public async Task<OrchestrationMetadata> WaitForEndAsync(string id, int seconds = 60)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            return await Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cts.Token);
        }
        catch (OperationCanceledException)
        {
            var last = await Client.GetInstanceAsync(id, getInputsAndOutputs: true);
            throw new TimeoutException($"job {id} did not end in {seconds} s; last: {last?.RuntimeStatus} {last?.SerializedCustomStatus}");
        }
    }

    /// <summary>Polls the job until its custom status satisfies <paramref name="until"/>.</summary>
    public async Task<(OrchestrationMetadata Instance, JobProgress Progress)> WaitForProgressAsync(string id, Func<JobProgress, bool> until, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        OrchestrationMetadata? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await Client.GetInstanceAsync(id, getInputsAndOutputs: true);
            if (last is not null && JobControl.ReadProgress(last) is { } progress && until(progress)) return (last, progress);
            if (last is { IsCompleted: true })
                throw new InvalidOperationException($"job {id} ended {last.RuntimeStatus} before the awaited status; last: {last.SerializedCustomStatus} {last.FailureDetails?.ErrorMessage}");
            await Task.Delay(50);
        }
        throw new TimeoutException($"job {id} did not reach the awaited status in {seconds} s; last: {last?.RuntimeStatus} {last?.SerializedCustomStatus}");
    }

    /// <summary>Asserts the runtime status, showing the failure and the custom status when it differs.</summary>
    public static void AssertStatus(OrchestrationRuntimeStatus expected, OrchestrationMetadata instance) =>
        Assert.True(instance.RuntimeStatus == expected,
            $"expected {expected}, got {instance.RuntimeStatus}: {instance.FailureDetails?.ErrorType} {instance.FailureDetails?.ErrorMessage}\n{instance.FailureDetails?.StackTrace}\nstatus: {instance.SerializedCustomStatus}");

    public static JobProgress Progress(OrchestrationMetadata instance) =>
        JobControl.ReadProgress(instance) ?? throw new InvalidOperationException($"no custom status: {instance.SerializedCustomStatus}");

    public static JobOutput Output(OrchestrationMetadata instance) =>
        instance.ReadOutputAs<JobOutput>() ?? throw new InvalidOperationException($"no output: {instance.SerializedOutput}");

    public Task<bool> ExistsAsync(string container, string name) =>
        Blobs.GetPropertiesAsync(container, name).ContinueWith(t => t.Result is not null, TaskScheduler.Default);
}
