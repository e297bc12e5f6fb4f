using System.Text.Json;
using System.Text.Json.Nodes;
using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FineTune.Pipeline.Runs;

/// <summary>
/// Starts an Azure Container Apps job execution running `finetune {verb} --spec …` on a GPU workload profile
/// (ARM REST: POST {job}/start, GET {job}/executions/{name}, POST …/stop), authenticated with a managed identity
/// or any <see cref="TokenCredential"/>. https://learn.microsoft.com/rest/api/resource-manager/containerapps/jobs
/// </summary>
public sealed class ContainerAppsJobBackend(TrainingBackendOptions options, HttpPipeline arm, Uri armEndpoint, Uri storageBlobEndpoint) : ITrainingBackend
{
    public static HttpPipeline CreatePipeline(TokenCredential credential, HttpPipelineTransport? transport = null)
    {
        var options = new ArmOptions();
        if (transport is not null) options.Transport = transport;
        return HttpPipelineBuilder.Build(options, new BearerTokenAuthenticationPolicy(credential, "https://management.azure.com/.default"));
    }

    public string Name => "containerapps";

    public async Task<TrainingRun> StartAsync(TrainingTask task, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = options.ContainerName,
                ["image"] = options.ContainerImage,
                ["command"] = new JsonArray("finetune"),
                ["args"] = new JsonArray(task.Verb, "--spec", task.Spec),
                // The account URL only: the trainer reaches storage with the job's managed identity (infra/ grants it the role),
                // so no key is stored in the job or sent in the request.
                ["env"] = new JsonArray(new JsonObject { ["name"] = "FINETUNE_STORAGE", ["value"] = storageBlobEndpoint.ToString() }),
            }),
        };
        var response = await SendAsync(RequestMethod.Post, $"{options.ContainerAppsJobResourceId}/start", body, ct);
        if (response.Status is not (200 or 202))
            throw new InvalidOperationException($"Container Apps job start: HTTP {response.Status} {response.Content}");
        var json = JsonNode.Parse(response.Content.ToString())!;
        var name = json["name"]?.GetValue<string>() ?? throw new InvalidDataException("Container Apps job start returned no execution name");
        return new TrainingRun(Name, name);
    }

    public async Task<TrainingProgress> GetProgressAsync(TrainingRun run, CancellationToken ct)
    {
        var response = await SendAsync(RequestMethod.Get, $"{options.ContainerAppsJobResourceId}/executions/{run.RunId}", null, ct);
        if (response.Status == 404) return new TrainingProgress(TrainingRunState.Lost, Message: $"execution {run.RunId} not found");
        if (response.Status != 200) throw new InvalidOperationException($"Container Apps execution status: HTTP {response.Status}");
        var status = JsonNode.Parse(response.Content.ToString())?["properties"]?["status"]?.GetValue<string>();
        return status switch
        {
            "Succeeded" => new TrainingProgress(TrainingRunState.Succeeded, 1),
            "Failed" or "Stopped" or "Degraded" => new TrainingProgress(TrainingRunState.Failed, Message: $"execution {run.RunId} is {status}"),
            _ => new TrainingProgress(TrainingRunState.Running, Message: status),
        };
    }

    public async Task CancelAsync(TrainingRun run, CancellationToken ct)
    {
        var response = await SendAsync(RequestMethod.Post, $"{options.ContainerAppsJobResourceId}/executions/{run.RunId}/stop", null, ct);
        // 404: the execution is gone already; anything else unexpected is a fault the caller logs.
        if (response.Status is not (200 or 202 or 204 or 404))
            throw new InvalidOperationException($"Container Apps execution stop: HTTP {response.Status} {response.Content}");
    }

    private async Task<global::Azure.Response> SendAsync(RequestMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var message = arm.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(new Uri(armEndpoint, $"{path.TrimStart('/')}?api-version={options.ArmApiVersion}"));
        if (body is not null)
        {
            message.Request.Headers.SetValue("Content-Type", "application/json");
            message.Request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(body));
        }
        await arm.SendAsync(message, ct);
        return message.Response;
    }

    private sealed class ArmOptions : ClientOptions;
}
