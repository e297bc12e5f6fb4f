using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Azure.Core;
using FineTune.Pipeline.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FineTune.Pipeline.Tests.Training;

/// <summary>The ARM calls of the Container Apps backend, against a local HTTP server playing management.azure.com.</summary>
public sealed class ContainerAppsJobBackendTests
{
    private const string JobId = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.App/jobs/trainer";

    private sealed class FixedToken : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("test-token", DateTimeOffset.UtcNow.AddHours(1));
        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    [Fact]
    public async Task StartPollStop_SendTheArmRequestsAndMapExecutionStatus()
    {
        var seen = new ConcurrentQueue<(string Method, string Path, string Query, string Auth, string Body)>();
        var status = "Running";
        var builder = WebApplication.CreateSlimBuilder();
        // Bearer tokens only travel over https: a self-signed certificate for 127.0.0.1, trusted by this test's transport.
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=127.0.0.1", key,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseUrls("https://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
        builder.Logging.ClearProviders();
        await using var arm = builder.Build();
        arm.Run(async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            seen.Enqueue((context.Request.Method, context.Request.Path, context.Request.QueryString.Value ?? "", context.Request.Headers.Authorization.ToString(), body));
            context.Response.ContentType = "application/json";
            if (context.Request.Path.Value!.EndsWith("/start"))
                await context.Response.WriteAsync("""{"name":"trainer-abc12","id":"/subscriptions/s1/.../executions/trainer-abc12"}""");
            else if (context.Request.Method == "GET")
                await context.Response.WriteAsync(new JsonObject { ["name"] = "trainer-abc12", ["properties"] = new JsonObject { ["status"] = status } }.ToJsonString());
        });
        await arm.StartAsync();

        var options = new TrainingBackendOptions { Backend = "containerapps", ContainerAppsJobResourceId = JobId, ContainerImage = "acr.io/finetune:1" };
        Assert.Empty(options.Check());
        var backend = new ContainerAppsJobBackend(options, ContainerAppsJobBackend.CreatePipeline(new FixedToken(),
            new Azure.Core.Pipeline.HttpClientTransport(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, c, _, _) => c?.Thumbprint == certificate.Thumbprint })), new Uri(arm.Urls.First() + "/"),
            new Uri("https://acct.blob.core.windows.net/"));
        var run = await backend.StartAsync(new TrainingTask("job1", "train", "jobs/job1/train/spec.json"), default);
        Assert.Equal("trainer-abc12", run.RunId);
        Assert.Equal(TrainingRunState.Running, (await backend.GetProgressAsync(run, default)).State);
        status = "Succeeded";
        Assert.Equal(TrainingRunState.Succeeded, (await backend.GetProgressAsync(run, default)).State);
        status = "Failed";
        Assert.Equal(TrainingRunState.Failed, (await backend.GetProgressAsync(run, default)).State);
        await backend.CancelAsync(run, default);

        var calls = seen.ToList();
        Assert.Equal(("POST", JobId + "/start"), (calls[0].Method, calls[0].Path));
        Assert.Equal("?api-version=2025-01-01", calls[0].Query);
        Assert.Equal("Bearer test-token", calls[0].Auth);
        var container = JsonNode.Parse(calls[0].Body)!["containers"]![0]!;
        Assert.Equal("acr.io/finetune:1", container["image"]!.GetValue<string>());
        Assert.Equal(["train", "--spec", "jobs/job1/train/spec.json"], container["args"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("FINETUNE_STORAGE", container["env"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("https://acct.blob.core.windows.net/", container["env"]![0]!["value"]!.GetValue<string>()); // no key: managed identity
        Assert.Null(container["env"]![0]!["secretRef"]);
        Assert.Equal(("GET", JobId + "/executions/trainer-abc12"), (calls[1].Method, calls[1].Path));
        Assert.Equal(("POST", JobId + "/executions/trainer-abc12/stop"), (calls[^1].Method, calls[^1].Path));
    }
}
