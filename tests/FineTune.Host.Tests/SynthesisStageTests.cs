using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Host.Tests.Support;
using FineTune.Pipeline.Jobs;
using FineTune.Pipeline.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FineTune.Host.Tests;

/// <summary>A document drop goes through FineTune.Synthesis against an OpenAI-compatible server (Kestrel, canned answers).</summary>
public sealed class SynthesisStageTests
{
    private static readonly string[] Pairs =
    [
        """{"user":"What does the red button do?","assistant":"The red button stops the machine immediately."}""",
        """{"user":"How is the machine restarted after a stop?","assistant":"Turn the key to reset, then press the green button."}""",
        """{"user":"Who may open the service panel?","assistant":"Only trained technicians may open the service panel."}""",
        """{"user":"How often is the filter changed?","assistant":"The filter is changed every 200 operating hours."}""",
    ];

    [Fact]
    public async Task MarkdownDrop_WithEndpoint_SynthesizesPreparesAndReachesTrain()
    {
        var requests = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var llm = builder.Build();
        llm.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            Interlocked.Increment(ref requests);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                id = "chatcmpl-1", @object = "chat.completion", created = 0, model = "gen",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = string.Join("\n", Pairs) }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 50, completion_tokens = 80, total_tokens = 130 },
            }));
        });
        await llm.StartAsync();

        var options = TestHost.FastOptions();
        options.Synthesis.Endpoint = llm.Urls.First() + "/v1/";
        options.Synthesis.Model = "gen";
        options.Synthesis.ApiKey = "sk-test-secret";
        await using var host = await TestHost.StartAsync(options: options);
        await host.Storage.Blobs.UploadTextAsync(Containers.Uploads, "docs/manual.md",
            "# Machine manual\n\nThe red button stops the machine immediately. Turn the key to reset, then press the green button.\n" +
            "Only trained technicians may open the service panel. The filter is changed every 200 operating hours.\n");
        var blob = (await host.Storage.Blobs.GetPropertiesAsync(Containers.Uploads, "docs/manual.md"))!;
        var id = JobPaths.IdFor(Containers.Uploads, blob.Name, blob.ETag);

        var status = await host.WaitForStatusAsync(id, query: "?showHistory=true");
        Assert.Equal("Failed", TestHost.Status(status));
        Assert.Equal("train", status["output"]!["stage"]!.GetValue<string>());
        Assert.True(requests >= 1);
        var synthetic = (await host.Storage.Blobs.ReadTextAsync(Containers.Datasets, JobPaths.SyntheticData(id)))!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, synthetic.Length);
        Assert.Contains("red button", synthetic[0]);
        var train = (await host.Storage.Blobs.ReadTextAsync(Containers.Datasets, JobPaths.TrainData(id)))!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var val = (await host.Storage.Blobs.ReadTextAsync(Containers.Datasets, JobPaths.ValidationData(id)))!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, train.Length + val.Length);
        Assert.DoesNotContain("sk-test-secret", status.ToJsonString());
        var stages = status["historyEvents"]!.AsArray().Where(e => e!["eventType"]!.GetValue<string>() == "StageStarted").Select(e => e!["stage"]!.GetValue<string>());
        Assert.Equal(["validate", "synthesize", "prepare", "train"], stages);
    }
}
