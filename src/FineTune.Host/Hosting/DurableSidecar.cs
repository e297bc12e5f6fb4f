using System.Net;
using System.Net.Sockets;
using DurableTask.AzureStorage;
using FineTune.Pipeline;
using FineTune.Pipeline.Storage;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using IOrchestrationService = DurableTask.Core.IOrchestrationService;
using IOrchestrationServiceClient = DurableTask.Core.IOrchestrationServiceClient;

namespace FineTune.Host.Hosting;

/// <summary>
/// Durable without the Functions host: the Durable Task gRPC sidecar (TaskHubGrpcServer) over the Azure Storage provider —
/// the same engine and task-hub layout as Durable Functions' default — on an HTTP/2 loopback port of this process, with
/// this process's Durable worker and client connected to it. Hosts on one task hub share the work through Durable's
/// partitions. The WorkerId is stable per listen address and data folder, so a restarted host takes its partitions back at once.
/// </summary>
public static class DurableSidecar
{
    public static async Task<int> AddAsync(WebApplicationBuilder builder, StorageAccount storage, HostSettings settings, CancellationToken ct)
    {
        var provider = storage.Credential is { } credential
            ? new StorageAccountClientProvider(storage.AccountName, credential)
            : new StorageAccountClientProvider(storage.Setting);
        var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = settings.TaskHub,
            StorageAccountClientProvider = provider,
            WorkerId = $"{Environment.MachineName}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join(";", settings.Urls) + "|" + settings.DataDirectory)))[..8]}",
            PartitionCount = 4,
            MaxQueuePollingInterval = storage.Setting.Contains("127.0.0.1", StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(2),
            ThrowExceptionOnInvalidDedupeStatus = true,
            // A message taken by a host that is then killed comes back after this (the default, 5 min, stalls a job that
            // long after every crash). Activities are idempotent, so one that outlives it running twice does no harm.
            ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(30),
            WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(30),
        });
        await service.CreateIfNotExistsAsync();

        var grpcPort = FreeLoopbackPort();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, grpcPort, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<IOrchestrationService>(service);
        builder.Services.AddSingleton<IOrchestrationServiceClient>(service);
        builder.Services.Configure<TaskHubGrpcServerOptions>(o => o.Mode = TaskHubGrpcServerMode.ApiServerAndDispatcher);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        // The worker holds a stream to the sidecar: stop both together, or shutdown waits 30 s for the stream.
        builder.Services.Configure<HostOptions>(o => o.ServicesStopConcurrently = true);

        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        builder.Services.AddSingleton(channel);
        builder.Services.AddDurableTaskWorker(b =>
        {
            b.AddTasks(r => r.AddFineTuneTasks());
            b.UseGrpc(channel);
        });
        builder.Services.AddDurableTaskClient(b => b.UseGrpc(channel));
        return grpcPort;
    }

    public static void Map(WebApplication app, int grpcPort) =>
        // Loopback only, and this process's own worker and client are its callers: no API key, no per-route body limit.
        app.MapGrpcService<TaskHubGrpcServer>().RequireHost($"*:{grpcPort}").WithMetadata(NoApiKey.Instance, BodyLimit.None);

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
