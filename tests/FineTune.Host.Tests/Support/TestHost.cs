using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Host.Hosting;
using FineTune.Tests.Support;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FineTune.Host.Tests.Support;

/// <summary>The real host on Kestrel, 127.0.0.1 and a free port, with an HttpClient pointed at it.</summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly FineTuneApp _app;

    private TestHost(FineTuneApp app, HttpClient client)
    {
        _app = app;
        Client = client;
    }

    public HttpClient Client { get; }
    public IServiceProvider Services => _app.App.Services;
    public StorageAccount Storage => _app.Storage;
    public string BaseUrl => Client.BaseAddress!.ToString().TrimEnd('/');

    /// <summary>Settings that make tests quick: a fast uploads scan, short settle and poll intervals, few retries.</summary>
    public static Dictionary<string, string> FastValues() => new()
    {
        ["Pipeline:ScanInterval"] = "00:00:00.1",
        ["Pipeline:SettleTime"] = "00:00:00.3",
        ["Pipeline:TrainingPollInterval"] = "00:00:00.3",
        ["Pipeline:MaxTrainingPollInterval"] = "00:00:01",
        ["Pipeline:ActivityFirstRetry"] = "00:00:00.1",
        ["Pipeline:ActivityMaxRetry"] = "00:00:00.5",
        ["Pipeline:ActivityMaxAttempts"] = "2",
    };

    /// <summary>The real host (embedded Azurite under the data folder unless a connection string is given) on 127.0.0.1 and a free port.</summary>
    public static async Task<TestHost> StartAsync(string? dataDirectory = null, string? connectionString = null,
        IReadOnlyDictionary<string, string>? values = null, IReadOnlyList<string>? apiKeys = null, Action<WebApplicationBuilder>? configure = null)
    {
        var all = FastValues();
        foreach (var (k, v) in values ?? new Dictionary<string, string>()) all[k] = v;
        var settings = new HostSettings
        {
            DataDirectory = dataDirectory ?? RepoPaths.NewTempDirectory("host"),
            StorageConnectionString = connectionString,
            Urls = ["http://127.0.0.1:0"],
            ApiKeys = apiKeys ?? [],
            Values = all,
        };
        var app = await FineTuneHost.BuildAsync(settings, builder =>
        {
            builder.Logging.ClearProviders();
            configure?.Invoke(builder);
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync(); // the embedded Azurite with it
            throw;
        }
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

    /// <summary>
    /// Waits for a whole drop-folder pass and then a whole uploads scan that both start after this call: whatever the files
    /// and blobs present now would lead to (an upload, a job) has happened when it returns. The proof for "X did not happen".
    /// </summary>
    public async Task BackgroundPassesAsync(int timeoutMs = 30_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        var hosted = Services.GetServices<IHostedService>().ToList();
        if (hosted.OfType<DropFolderSync>().SingleOrDefault() is { } sync) await sync.Passes.NextAsync(cts.Token);
        await hosted.OfType<UploadsScanner>().Single().Passes.NextAsync(cts.Token);
    }

    public static string Status(JsonObject status) => status["runtimeStatus"]!.GetValue<string>();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.App.StopAsync();
        await _app.DisposeAsync();
    }
}

public static class Json
{
    public static JsonSerializerOptions Web { get; } = new(JsonSerializerDefaults.Web);
}
