using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Console.Tests.Support;
using FineTune.Tests.Support;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace FineTune.Console.Tests;

/// <summary>How the console is served: from the build (nothing from a CDN, no secret or path), its API helpers, and API keys.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleServingTests(ConsoleFixture fixture, ITestOutputHelper output)
{
    private static readonly string Assets = Path.Combine(RepoPaths.Root, "src", "FineTune.Host", "Console", "wwwroot");

    [Fact]
    public async Task Assets_EveryFileShipsInTheBuild_NothingFromElsewhere_NoServerPath()
    {
        using var page = await fixture.Http.GetAsync("/jobs/0123456789abcdef");  // a deep link returns the shell
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        var files = Directory.GetFiles(Assets, "*", SearchOption.AllDirectories);
        Assert.True(files.Length >= 10, string.Join(", ", files));
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(Assets, file).Replace('\\', '/');
            using var response = await fixture.Http.GetAsync("/console/" + relative);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{relative}: {response.StatusCode}");
            var served = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(await File.ReadAllBytesAsync(file), served);
            var text = Encoding.UTF8.GetString(served).Replace("http://www.w3.org/2000/svg", "");
            Assert.DoesNotContain("http://", text);
            Assert.DoesNotContain("https://", text);
            Assert.DoesNotContain(fixture.Root, text);
        }
        using var index = await fixture.Http.GetAsync("/");
        var html = await index.Content.ReadAsStringAsync();
        Assert.DoesNotContain(fixture.Root, html);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Http.GetAsync("/console/../appsettings.json")).StatusCode);
    }

    [Fact]
    public async Task PresetsAndValidate_AnswerFromTheTrainerAndTheValidator()
    {
        var presets = await fixture.Http.GetFromJsonAsync<JsonObject>("/api/presets");
        Assert.Equal(["standard", "quality", "fast"], presets!["presets"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        var lr = presets["ranges"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == "learning_rate")!;
        Assert.True(lr["minExclusive"]!.GetValue<bool>());
        Assert.Equal(0.1, lr["max"]!.GetValue<double>());

        using var body = new StringContent("""{"messages": [{"role": "user", "content": "hi"}]}""" + "\n");
        using var check = await fixture.Http.PostAsync("/api/validate?name=x.jsonl", body);
        var report = await check.Content.ReadFromJsonAsync<JsonObject>();
        Assert.False(report!["usable"]!.GetValue<bool>());
        Assert.Equal(1, report["problems"]![0]!["line"]!.GetValue<int>());
    }

    [Fact]
    public async Task Datasets_UploadValidatesThenStores_AndListsTopLevelOnly()
    {
        using (var good = new ByteArrayContent(await File.ReadAllBytesAsync(fixture.SampleFile)))
        using (var stored = await fixture.Http.PostAsync("/api/datasets?name=console-eval.jsonl", good))
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        using (var bad = new StringContent("not json\n"))
        using (var refused = await fixture.Http.PostAsync("/api/datasets?name=broken.jsonl", bad))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(1, (await refused.Content.ReadFromJsonAsync<JsonObject>())!["report"]!["problems"]![0]!["line"]!.GetValue<int>());
        }
        var names = (await fixture.Http.GetFromJsonAsync<JsonArray>("/api/datasets"))!.Select(d => d!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("console-eval.jsonl", names);
        Assert.DoesNotContain("broken.jsonl", names);
        Assert.All(names, n => Assert.DoesNotContain("/", n));
    }

    [Fact]
    public async Task SynthesizedPairs_JoinEachPairWithItsSourceFileAndPages()
    {
        const string id = "0000feedbeef0000feedbeef0000feed";
        var folder = Path.Combine(fixture.Root, "data", "datasets", id);
        Directory.CreateDirectory(folder);
        await File.WriteAllLinesAsync(Path.Combine(folder, "synthetic.jsonl"),
        [
            """{"messages":[{"role":"system","content":"You are a fire safety expert."},{"role":"user","content":"What is GB50116?"},{"role":"assistant","content":"The fire alarm design code."}]}""",
            """{"messages":[{"role":"user","content":"Q2"},{"role":"assistant","content":"A2"}]}""",
        ]);
        await File.WriteAllLinesAsync(Path.Combine(folder, "synthetic.sources.jsonl"),
        [
            """{"line":1,"chunk":"gb-0000-ab","source":"/tmp/finetune-synth/x/GB50116.pdf","firstPage":3,"lastPage":4,"grounding":0.8,"flagged":false}""",
            """{"line":2,"chunk":"gb-0001-cd","source":"GB50116.pdf","firstPage":5,"lastPage":5,"grounding":0.1,"flagged":true}""",
        ]);
        // Files in the data folder's datasets/ reach the datasets container once settled (the drop folders).
        JsonObject? first = null;
        for (var attempt = 0; attempt < 100 && first is null; attempt++)
        {
            using var response = await fixture.Http.GetAsync($"/api/synthesized/{id}?top=1");
            if (response.IsSuccessStatusCode) first = await response.Content.ReadFromJsonAsync<JsonObject>();
            else await Task.Delay(300);
        }
        Assert.NotNull(first);
        Assert.True(first!["truncated"]!.GetValue<bool>());
        var pair = first["pairs"]!.AsArray().Single()!;
        Assert.Equal("What is GB50116?", pair["question"]!.GetValue<string>());
        Assert.Equal("The fire alarm design code.", pair["answer"]!.GetValue<string>());
        Assert.Equal("GB50116.pdf", pair["source"]!.GetValue<string>());   // a name, never the worker's path
        Assert.Equal(3, pair["firstPage"]!.GetValue<int>());
        Assert.Equal(4, pair["lastPage"]!.GetValue<int>());
        var all = await fixture.Http.GetFromJsonAsync<JsonObject>($"/api/synthesized/{id}");
        Assert.False(all!["truncated"]!.GetValue<bool>());
        Assert.True(all["pairs"]![1]!["flagged"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Http.GetAsync("/api/synthesized/ffffffffffffffffffffffffffffffff")).StatusCode);
    }

    [Fact]
    public async Task ApiKeys_Required_TheConsoleAsksForOneAndSendsIt()
    {
        const string key = "console-test-key-0123456789";
        var data = Path.Combine(fixture.Root, "keyed");
        Directory.CreateDirectory(data);
        await using var keyed = await ConsoleServer.StartAsync(data, model: null, new Dictionary<string, string> { ["FINETUNE_API_KEYS"] = key });
        using var http = new HttpClient { BaseAddress = keyed.BaseUri };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);                  // the console itself needs no key
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/jobs")).StatusCode);
        Assert.DoesNotContain(key, await http.GetStringAsync("/"));

        await ConsoleFixture.RunAsync(output, nameof(ApiKeys_Required_TheConsoleAsksForOneAndSendsIt), async page =>
        {
            await page.GotoAsync("/");
            await page.Locator("#api-key").FillAsync(key);
            await page.Locator("#api-key").PressAsync("Enter");
            await Expect(page.Locator("#jobs-body .empty")).ToBeVisibleAsync();
            Assert.Equal(key, await page.EvaluateAsync<string>("sessionStorage.getItem('ft.apiKey')"));
            Assert.Null(await page.EvaluateAsync<string?>("localStorage.getItem('ft.apiKey')"));
            await Expect(page.Locator("#key-button")).ToBeVisibleAsync();
        }, fixture.Browser, keyed);
    }
}
