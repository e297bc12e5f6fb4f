using System.Net;
using FineTune.Host.Hosting;
using FineTune.Host.Tests.Support;

namespace FineTune.Host.Tests;

public sealed class ApiKeyTests
{
    private const string Key = "k-0123456789abcdef-xyz";

    [Fact]
    public async Task WithKeys_RequestsWithoutKey_Get401_HeaderOrCodeQueryPass()
    {
        await using var host = await TestHost.StartAsync(apiKeys: [Key]);
        using var none = await host.Client.GetAsync("/api/jobs");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType!.MediaType);
        using var wrong = await host.Client.GetAsync("/api/jobs?code=k-0123456789abcdef-xyZ");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using var query = await host.Client.GetAsync($"/api/jobs?code={Key}");
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        request.Headers.Add("x-functions-key", Key);
        using var header = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, header.StatusCode);
        using var bearerRequest = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        bearerRequest.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
        using var bearer = await host.Client.SendAsync(bearerRequest);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode); // OpenAI SDK style
        using var probe = await host.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode); // the Functions host's readiness probe
    }

    [Fact]
    public void BeyondLoopback_WithoutKeys_RefusesToStart()
    {
        var settings = new HostSettings { Urls = ["http://0.0.0.0:7071"], DataDirectory = Path.GetTempPath() };
        var e = Assert.Throws<InvalidOperationException>(() => FineTuneHost.BuildAsync(settings).GetAwaiter().GetResult());
        Assert.Contains("API key is required when listening beyond loopback", e.Message);
        Assert.Empty(new HostSettings { Urls = ["http://127.0.0.1:7071", "http://localhost:5000"], DataDirectory = Path.GetTempPath() }.Check());
    }

    [Fact]
    public async Task KestrelEndpointFromConfiguration_BeyondLoopbackWithoutKeys_RefusesToStart()
    {
        // Not from --urls: an endpoint that configuration adds (appsettings.json or Kestrel__Endpoints__… variables).
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TestHost.StartAsync(configure: b =>
            b.Configuration["Kestrel:Endpoints:Extra:Url"] = "http://0.0.0.0:0"));
        Assert.Contains("API key is required when listening beyond loopback", e.Message);
        await using var withKey = await TestHost.StartAsync(apiKeys: [Key], configure: b =>
            b.Configuration["Kestrel:Endpoints:Extra:Url"] = "http://0.0.0.0:0");
        using var anonymous = await withKey.Client.GetAsync("/api/jobs");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public void SettingsLoader_ReadsLocalSettingsValues_EnvironmentAndOptionsWin()
    {
        var dir = FineTune.Tests.Support.RepoPaths.NewTempDirectory("settings");
        File.WriteAllText(Path.Combine(dir, "local.settings.json"), """
            {"IsEncrypted":false,"Values":{"FUNCTIONS_WORKER_RUNTIME":"dotnet-isolated","AzureWebJobsStorage":"UseDevelopmentStorage=true",
             "FINETUNE_API_KEYS":"aaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbb","Pipeline__ScanInterval":"00:00:01","Pipeline__Training__Backend":"local"}}
            """);
        var settings = HostSettingsLoader.Load(null, null, null, dir);
        Assert.Equal("UseDevelopmentStorage=true", settings.StorageConnectionString);
        Assert.Equal(["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"], settings.ApiKeys);
        Assert.Equal(["http://127.0.0.1:7071"], settings.Urls);
        Assert.Equal("00:00:01", settings.Values["Pipeline:ScanInterval"]);
        Assert.Equal("local", settings.Values["Pipeline:Training:Backend"]);
        // With a data folder, the development-storage shortcut means the embedded Azurite.
        var local = HostSettingsLoader.Load(Path.Combine(dir, "d"), null, "http://127.0.0.1:9999", dir);
        Assert.Null(local.StorageConnectionString);
        Assert.Equal(Path.Combine(dir, "d"), local.DataDirectory);
        Directory.Delete(dir, true);
    }
}
