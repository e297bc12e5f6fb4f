using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Host.Hosting;
using FineTune.Tests.Support;
using FineTune.Pipeline;
using FineTune.Pipeline.Storage;
using FineTune.Pipeline.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FineTune.Host.Tests.Support;

/// <summary>The real host on Kestrel, 127.0.0.1 and a free port, with an HttpClient pointed at it.</summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestHost(WebApplication app, HttpClient client)
    {
        _app = app;
        Client = client;
    }

    public HttpClient Client { get; }
    public IServiceProvider Services => _app.Services;
    public StorageAccount Storage => Services.GetRequiredService<StorageAccount>();
    public string BaseUrl => Client.BaseAddress!.ToString().TrimEnd('/');

    public static PipelineOptions FastOptions() => new()
    {
        LeaseDuration = TimeSpan.FromSeconds(15),
        VisibilityTimeout = TimeSpan.FromSeconds(10),
        MinPollingInterval = TimeSpan.FromMilliseconds(50),
        MaxPollingInterval = TimeSpan.FromMilliseconds(250),
        ScanInterval = TimeSpan.FromMilliseconds(50),
        SettleTime = TimeSpan.FromMilliseconds(100), // tests write straight into uploads/, as a user's copy does
        TrainingPollInterval = TimeSpan.FromMilliseconds(200),
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetries = 2,
    };

    public static async Task<TestHost> StartAsync(string? dataDirectory = null, string? connectionString = null, PipelineOptions? options = null,
        TrainingBackendOptions? training = null, IReadOnlyList<string>? apiKeys = null, bool functionsMode = false, Action<WebApplicationBuilder>? configure = null)
    {
        var settings = new HostSettings
        {
            DataDirectory = dataDirectory ?? RepoPaths.NewTempDirectory("host"),
            StorageConnectionString = connectionString,
            Urls = ["http://127.0.0.1:0"],
            ApiKeys = apiKeys ?? [],
            FunctionsCustomHandler = functionsMode,
            Pipeline = options ?? FastOptions(),
            Training = training ?? new TrainingBackendOptions(),
        };
        var app = FineTuneHost.Build(settings, builder =>
        {
            builder.Logging.ClearProviders();
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
        return new TestHost(app, client);
    }

    /// <summary>Polls the status URI until the job is finished (HTTP 200) or <paramref name="until"/> holds.</summary>
    public async Task<JsonObject> WaitForStatusAsync(string id, Func<JsonObject, bool>? until = null, int timeoutMs = 20_000, string query = "")
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await Client.GetAsync($"/api/jobs/{id}{query}");
            if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
            {
                last = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
                if (until?.Invoke(last) ?? response.StatusCode == System.Net.HttpStatusCode.OK) return last;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"job {id} did not get there in {timeoutMs} ms; last status: {last?.ToJsonString()}");
    }

    public static string Status(JsonObject status) => status["runtimeStatus"]!.GetValue<string>();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public static class Json
{
    public static JsonSerializerOptions Web { get; } = new(JsonSerializerDefaults.Web);
}
