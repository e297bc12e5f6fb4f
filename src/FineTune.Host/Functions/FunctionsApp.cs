using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Pipeline.Storage;

namespace FineTune.Host.Functions;

/// <summary>
/// Lays out an Azure Functions custom-handler app: host.json (customHandler, forwarding for HTTP), one folder per
/// function with its function.json (blob trigger on uploads/{name}, queue trigger on the job queue, a timer sweep,
/// and an HTTP catch-all for /api/…), and a local.settings.json template. The caller copies the published executable in.
/// </summary>
public static class FunctionsApp
{
    public static IReadOnlyDictionary<string, JsonObject> FunctionJson() => new Dictionary<string, JsonObject>
    {
        [FunctionNames.BlobUpload] = Function(new JsonObject
        {
            ["name"] = "blob", ["type"] = "blobTrigger", ["direction"] = "in", ["path"] = $"{Containers.Uploads}/{{name}}",
            ["connection"] = "AzureWebJobsStorage", ["dataType"] = "binary",
        }),
        [FunctionNames.JobQueue] = Function(new JsonObject
        {
            ["name"] = "msg", ["type"] = "queueTrigger", ["direction"] = "in", ["queueName"] = Containers.JobQueue, ["connection"] = "AzureWebJobsStorage",
        }),
        [FunctionNames.Sweep] = Function(new JsonObject
        {
            ["name"] = "timer", ["type"] = "timerTrigger", ["direction"] = "in", ["schedule"] = "0 */5 * * * *",
        }),
        [FunctionNames.Api] = Function(
            new JsonObject { ["name"] = "req", ["type"] = "httpTrigger", ["direction"] = "in", ["authLevel"] = "function", ["route"] = "{*path}",
                ["methods"] = new JsonArray("get", "post", "delete", "options") },
            new JsonObject { ["name"] = "res", ["type"] = "http", ["direction"] = "out" }),
    };

    /// <summary>The settings of the repository's host.json, for packing without it.</summary>
    public static JsonObject DefaultHostJson() => (JsonObject)JsonNode.Parse("""
        {
          "version": "2.0",
          "functionTimeout": "02:00:00",
          "extensions": {
            "queues": { "batchSize": 16, "maxDequeueCount": 5, "visibilityTimeout": "00:00:30", "maxPollingInterval": "00:00:02", "messageEncoding": "base64" }
          },
          "retry": { "strategy": "exponentialBackoff", "maxRetryCount": 3, "minimumInterval": "00:00:01", "maximumInterval": "00:00:30" },
          "extensionBundle": { "id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)" }
        }
        """)!;

    /// <summary>host.json for the app: the repository's host.json with the executable path set.</summary>
    public static JsonObject HostJson(JsonObject repositoryHostJson, string executable, IReadOnlyList<string> arguments)
    {
        var host = (JsonObject)repositoryHostJson.DeepClone();
        host["customHandler"] = new JsonObject
        {
            ["description"] = new JsonObject
            {
                ["defaultExecutablePath"] = executable,
                ["arguments"] = new JsonArray(arguments.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
                ["workingDirectory"] = "",
            },
            ["enableForwardingHttpRequest"] = true,
        };
        return host;
    }

    public static void Write(string outputDirectory, JsonObject hostJson)
    {
        Directory.CreateDirectory(outputDirectory);
        var options = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(outputDirectory, "host.json"), hostJson.ToJsonString(options));
        foreach (var (name, json) in FunctionJson())
        {
            Directory.CreateDirectory(Path.Combine(outputDirectory, name));
            File.WriteAllText(Path.Combine(outputDirectory, name, "function.json"), json.ToJsonString(options));
        }
        var settings = Path.Combine(outputDirectory, "local.settings.json");
        if (!File.Exists(settings))
            File.WriteAllText(settings, new JsonObject
            {
                ["IsEncrypted"] = false,
                ["Values"] = new JsonObject { ["FUNCTIONS_WORKER_RUNTIME"] = "custom", ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" },
            }.ToJsonString(options));
    }

    private static JsonObject Function(params JsonObject[] bindings) => new() { ["bindings"] = new JsonArray(bindings.Cast<JsonNode?>().ToArray()) };
}
