using System.Net;
using System.Text.Json.Serialization;
using FineTune.Host.Jobs;
using FineTune.Pipeline;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FineTune.Host.Hosting;

/// <summary>
/// Builds the ASP.NET Core host behind `finetune serve`: storage (the embedded Azurite, or Azure Storage), the Durable
/// worker, client and sidecar, the self-hosted triggers (uploads scan, drop folders, training watchdog), the job API, and
/// every <see cref="IEndpointGroup"/> registered by <paramref name="configure"/>.
/// </summary>
public static class FineTuneHost
{
    public static async Task<FineTuneApp> BuildAsync(HostSettings settings, Action<WebApplicationBuilder>? configure = null, CancellationToken ct = default)
    {
        var problems = settings.Check();
        if (problems.Count > 0) throw new InvalidOperationException("invalid host settings: " + string.Join("; ", problems));

        EmbeddedAzurite? azurite = null;
        try
        {
            if (settings.StorageConnectionString is null) azurite = await EmbeddedAzurite.StartAsync(settings.DataDirectory!, ct);
            var storage = StorageAccount.FromSetting(settings.StorageConnectionString ?? azurite!.ConnectionString);
            await storage.EnsureCreatedAsync(ct);

            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
            builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
            {
                InitialData = settings.Values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)),
            });
            if (settings.DataDirectory is { } data)
            {
                builder.Services.Configure<DropFolderOptions>(o => o.Root = data);
                builder.Services.PostConfigure<PipelineOptions>(o =>
                {
                    if (!o.ModelRoots.Contains(Path.Combine(data, "models"))) o.ModelRoots.Add(Path.Combine(data, "models"));
                });
            }
            // The served model (ServingOptions, when registered) is a local model jobs name by its id, never by its folder.
            builder.Services.AddOptions<PipelineOptions>().PostConfigure<IServiceProvider>((o, sp) =>
            {
                if (sp.GetService<Serving.ServingOptions>() is { } serving)
                    o.LocalModels.TryAdd(serving.ResolvedBaseModelId, Path.GetFullPath(serving.ModelDirectory));
            });
            foreach (var url in settings.Urls) Listen(builder, url);
            // Per-route body limits (BodyLimitMiddleware) under server-wide ones that only the largest upload limit reaches.
            builder.Services.AddOptions<RequestLimits>().BindConfiguration(RequestLimits.Section).ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<RequestLimits>>((k, l) =>
                k.Limits.MaxRequestBodySize = Math.Max(4L << 30, Math.Max(l.Value.UploadBytes, l.Value.ConsoleUploadBytes)));
            builder.Services.AddOptions<FormOptions>().Configure<IOptions<RequestLimits>>((f, l) =>
                f.MultipartBodyLengthLimit = Math.Max(l.Value.UploadBytes, l.Value.ConsoleUploadBytes));
            builder.Services.AddJobSubmissionLimit();
            // Request-start logs print query strings, and `code` may be an API key there; Durable's per-call chatter drowns the rest.
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft.DurableTask", LogLevel.Warning);
            builder.Logging.AddFilter("DurableTask", LogLevel.Warning);
            builder.Logging.AddFilter("Grpc", LogLevel.Warning);
            builder.Services.AddProblemDetails();
            builder.Services.ConfigureHttpJsonOptions(o =>
            {
                o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
                o.SerializerOptions.Encoder = JobJson.Options.Encoder;
                o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            });
            builder.Services.AddSingleton(settings);
            builder.Services.AddSingleton<ServerDetails>();
            builder.Services.AddFineTunePipeline(storage);
            builder.Services.AddFineTuneTriggers();
            var grpcPort = await DurableSidecar.AddAsync(builder, storage, settings, ct);
            configure?.Invoke(builder);

            var app = builder.Build();
            app.UseExceptionHandler();
            app.UseStatusCodePages();
            app.UseRouting();
            app.UseMiddleware<ApiKeyMiddleware>();
            app.UseMiddleware<BodyLimitMiddleware>();
            app.UseRateLimiter();
            DurableSidecar.Map(app, grpcPort);
            WebConsole.ConsoleEndpoints.MapConsole(app);
            app.MapJobEndpoints();
            foreach (var group in app.Services.GetServices<IEndpointGroup>())
            {
                var conventions = app.MapGroup("");
                if (!group.RequiresApiKey) conventions.WithMetadata(NoApiKey.Instance);
                group.Map(conventions);
            }
            return new FineTuneApp(app, azurite, storage, grpcPort, settings);
        }
        catch
        {
            if (azurite is not null) await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>One listen URL as an HTTP/1.1 Kestrel endpoint (explicit endpoints: the sidecar's HTTP/2 port is one too).</summary>
    private static void Listen(WebApplicationBuilder builder, string url)
    {
        var normalized = url.Replace("://+", "://0.0.0.0").Replace("://*", "://0.0.0.0");
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Scheme != "http")
            throw new ArgumentException($"listen URL \"{url}\" must be http://HOST:PORT (put TLS in front of the host)");
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (uri.Host == "localhost") k.ListenLocalhost(uri.Port, o => o.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
            else k.Listen(IPAddress.Parse(uri.Host), uri.Port, o => o.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
        });
    }
}

/// <summary>The built host and what it owns: stopping it stops the embedded Azurite too.</summary>
public sealed class FineTuneApp(WebApplication app, EmbeddedAzurite? azurite, StorageAccount storage, int grpcPort, HostSettings settings)
    : IAsyncDisposable
{
    public WebApplication App { get; } = app;
    /// <summary>The HTTP addresses the host listens on after start (port 0 resolved), without the sidecar's loopback gRPC port.</summary>
    public IReadOnlyList<string> Urls => App.Urls.Where(u => !u.EndsWith($":{grpcPort}", StringComparison.Ordinal)).ToList();
    public StorageAccount Storage { get; } = storage;
    /// <summary>The storage setting (for tests and the trainer): the embedded Azurite's connection string, or the given one.</summary>
    public string StorageSetting => Storage.Setting;

    /// <summary>
    /// Starts the host and returns once the Durable client answers through the sidecar (the worker's channel may sit in a
    /// connection backoff for a few seconds after Kestrel starts listening) and the sidecar has started the orchestration
    /// service (it does so when the worker connects; stopping the host before that throws in the sidecar's stop handler and
    /// ends the process), so the first API call does not fail and a quick stop is safe.
    /// </summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        await App.StartAsync(ct);
        // Whatever set them (--urls, Kestrel:Endpoints in appsettings.json or the environment), the addresses actually bound
        // decide: beyond loopback, no key means no start.
        var beyond = Urls.Where(u => !HostSettings.IsLoopback(u)).ToList();
        if (beyond.Count > 0 && settings.ApiKeys.Count == 0)
        {
            await App.StopAsync(CancellationToken.None);
            throw new InvalidOperationException($"an API key is required when listening beyond loopback ({string.Join(", ", beyond)}): " +
                "set FINETUNE_API_KEYS (comma-separated) in local.settings.json Values or the environment");
        }
        var client = App.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await client.GetInstanceAsync("readiness-probe", getInputsAndOutputs: false, ct);
                break;
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, ct);
            }
        }
        var service = App.Services.GetRequiredService<DurableTask.Core.IOrchestrationService>();
        var started = service.GetType().GetField("isStarted", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);
        while (started?.GetValue(service) is false && DateTime.UtcNow < deadline)
            await Task.Delay(100, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        if (azurite is not null) await azurite.DisposeAsync();
    }
}
