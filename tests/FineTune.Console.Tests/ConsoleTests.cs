using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FineTune.Console.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace FineTune.Console.Tests;

/// <summary>
/// The console in a real browser against a real `finetune serve`: a job started from the New job page runs through
/// training to the gate, is approved on its page and completes; its page shows the loss chart, both scores and the item
/// table; the playground streams base and tuned side by side; the language switches; the dataset check explains a bad file.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleTests(ConsoleFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public Task NewJobPage_SampleDataAndManifest_StartsAJobListedNewestFirstWithItsRow() =>
        fixture.RunAsync(output, nameof(NewJobPage_SampleDataAndManifest_StartsAJobListedNewestFirstWithItsRow), async page =>
        {
            var id = await fixture.SubmittedJobAsync();
            await page.GotoAsync("/");
            var row = page.Locator($"#jobs-table tbody tr[data-job-id='{id}']");
            await Expect(row).ToBeVisibleAsync();
            await Expect(page.Locator("#jobs-table tbody tr").First).ToHaveAttributeAsync("data-job-id", id); // newest first
            await Expect(row.Locator("td").Nth(0)).ToHaveTextAsync(id[..8]);
            await Expect(row.Locator("td.source")).ToHaveTextAsync("sample.jsonl");
            await Expect(row.Locator("[role=progressbar]")).ToHaveCountAsync(1);
            await row.Locator("a").ClickAsync();
            await page.WaitForURLAsync($"**/jobs/{id}");
            await Expect(page.Locator("#job-id")).ToHaveTextAsync(id);
        });

    [Fact]
    public Task JobPage_JobWaitingAtTheGate_ApproveDeploysItAndTheListShowsItCompleted() =>
        fixture.RunAsync(output, nameof(JobPage_JobWaitingAtTheGate_ApproveDeploysItAndTheListShowsItCompleted), async page =>
        {
            var id = await fixture.CompletedJobAsync(); // waited at the gate (requireApproval), approved with the page's button
            var status = await fixture.Http.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}?showHistory=true");
            Assert.Contains(status!["historyEvents"]!.AsArray(), e => e!["eventType"]!.GetValue<string>() == "EventRaised" && e["detail"]!.GetValue<string>() == "approve");
            Assert.True(status["output"]!["deployed"]!.GetValue<bool>());

            await page.GotoAsync("/");
            await page.Locator("#status-filter").SelectOptionAsync("Completed");
            await Expect(page.Locator($"#jobs-table tr[data-job-id='{id}']")).ToHaveAttributeAsync("data-status", "Completed");
            await page.Locator("#status-filter").SelectOptionAsync("Failed");
            await Expect(page.Locator($"tr[data-job-id='{id}']")).ToHaveCountAsync(0);
        });

    [Fact]
    public Task JobPage_CompletedJob_ShowsLossPerLoggedStepBothScoresAndTheItemTable() =>
        fixture.RunAsync(output, nameof(JobPage_CompletedJob_ShowsLossPerLoggedStepBothScoresAndTheItemTable), async page =>
        {
            var id = await fixture.CompletedJobAsync();
            var metrics = (await fixture.Http.GetStringAsync($"/api/jobs/{id}/files/train/metrics.jsonl")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            int steps = metrics.Count(l => !l.Contains("\"type\":\"epoch\"")), epochs = metrics.Length - steps;
            var results = await fixture.Http.GetFromJsonAsync<JsonObject>($"/api/jobs/{id}/files/evaluate/results.json");
            int items = results!["report"]!["items"]!.GetValue<int>();
            Assert.True(steps >= 3 && epochs == 3, $"{steps} step lines, {epochs} epoch lines");

            await page.GotoAsync($"/jobs/{id}");
            await Expect(page.Locator("#job-status")).ToHaveAttributeAsync("data-status", "Completed");
            await Expect(page.Locator("#timeline li")).ToHaveCountAsync(7);
            foreach (var stage in new[] { "validate", "prepare", "train", "evaluate", "gate", "deploy" })
                await Expect(page.Locator($"#timeline [data-stage={stage}]")).ToHaveAttributeAsync("data-state", "done");
            await Expect(page.Locator("#timeline [data-stage=synthesize]")).ToHaveAttributeAsync("data-state", "skipped");
            await Expect(page.Locator("#timeline [data-stage=train] .stage-took")).ToHaveTextAsync(new Regex(@"\d+ s$"));

            await Expect(page.Locator("#loss-chart circle.pt-train")).ToHaveCountAsync(steps);   // one point per logged step
            await Expect(page.Locator("#loss-chart circle.pt-val")).ToHaveCountAsync(epochs);    // validation loss per epoch
            await Expect(page.Locator("#hyperparameters tr[data-name=learning_rate] td").First).ToHaveTextAsync("0.01");
            await Expect(page.Locator("#job-preset")).ToContainTextAsync("fast");
            await Expect(page.Locator("#report-counts [data-key=valid] dd")).ToHaveTextAsync("72");

            await Expect(page.Locator("#score-base")).ToContainTextAsync("%");
            await Expect(page.Locator("#score-tuned")).ToContainTextAsync("%");
            await Expect(page.Locator("#scores tbody tr")).ToHaveCountAsync(2 + epochs);         // base, each epoch's checkpoint, tuned
            await Expect(page.Locator("#gate-outcome")).ToBeVisibleAsync();
            await Expect(page.Locator("#deployed")).ToContainTextAsync(ConsoleFixture.DeploymentName);

            var rows = page.Locator("#eval-items tbody tr");
            await Expect(rows).ToHaveCountAsync(items);
            await Expect(rows.First.Locator("td.question")).ToContainTextAsync("How many");
            await page.Locator("#eval-filter").SelectOptionAsync("changed");
            var changed = await page.Locator("#eval-items tbody tr").CountAsync();
            Assert.Equal(changed, await page.Locator("#eval-items tbody tr[data-changed=true]").CountAsync());
            if (changed == 0) await Expect(page.GetByText("No item matches.")).ToBeVisibleAsync();
            await page.Locator("#eval-compare").SelectOptionAsync("epoch-1");
            await page.Locator("#eval-filter").SelectOptionAsync("all");
            await Expect(page.Locator("#eval-items thead")).ToContainTextAsync("epoch-1 output");
            await Expect(page.Locator("#artifacts a", new() { HasText = "train/metrics.jsonl" })).ToBeVisibleAsync();
        });

    [Fact]
    public Task Playground_BaseAndTuned_StreamRepliesSideBySide() =>
        fixture.RunAsync(output, nameof(Playground_BaseAndTuned_StreamRepliesSideBySide), async page =>
        {
            var id = await fixture.CompletedJobAsync();
            var tuned = await WaitForModelAsync(m => m.StartsWith("ft:", StringComparison.Ordinal) && m.EndsWith($":{ConsoleFixture.DeploymentName}:{id}", StringComparison.Ordinal));
            await page.GotoAsync($"/playground?models={Uri.EscapeDataString("tiny-qwen2," + tuned)}");
            await Expect(page.Locator("#model-0")).ToHaveValueAsync("tiny-qwen2");
            await Expect(page.Locator("#model-1")).ToHaveValueAsync(tuned);
            await page.Locator("#play-prompt").FillAsync("Ana has 6 coins in a box. How many coins are in the box?");
            await page.Locator("#play-temperature").FillAsync("0");
            await page.Locator("#play-max-tokens").FillAsync("24");
            await page.Locator("#play-send").ClickAsync();
            foreach (var reply in new[] { "#reply-0", "#reply-1" })
            {
                await Expect(page.Locator(reply)).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 90_000 });
                Assert.False(string.IsNullOrWhiteSpace(await page.Locator(reply).TextContentAsync()));
                Assert.True(int.Parse((await page.Locator(reply).GetAttributeAsync("data-chunks"))!) > 1, $"{reply} arrived in one piece, not streamed");
            }
        });

    [Fact]
    public Task Language_SwitchToChinese_TranslatesAndIsRemembered_AndFollowsTheBrowserAtFirst() =>
        fixture.RunAsync(output, nameof(Language_SwitchToChinese_TranslatesAndIsRemembered_AndFollowsTheBrowserAtFirst), async page =>
        {
            await page.GotoAsync("/new");
            await Expect(page.Locator("#nav-jobs")).ToHaveTextAsync("Jobs");
            await Expect(page.Locator("#preset-standard + .preset-name")).ToHaveTextAsync("标准 standard");
            await page.Locator("#lang-select").SelectOptionAsync("zh");
            await Expect(page.Locator("#nav-jobs")).ToHaveTextAsync("任务");
            await Expect(page.Locator("h1")).ToHaveTextAsync("新建任务");
            await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "zh-CN");
            await page.ReloadAsync();
            await Expect(page.Locator("#nav-check")).ToHaveTextAsync("数据集检查");
            await page.Locator("#lang-select").SelectOptionAsync("en");
            await Expect(page.Locator("#nav-check")).ToHaveTextAsync("Dataset check");

            await ConsoleFixture.RunAsync(output, "language-browser-zh", async zh =>
            {
                await zh.GotoAsync("/");
                await Expect(zh.Locator("#nav-jobs")).ToHaveTextAsync("任务");
                await Expect(zh.Locator("#lang-select")).ToHaveValueAsync("zh");
            }, fixture.Browser, fixture.Server, locale: "zh-CN");
        });

    [Fact]
    public Task DatasetCheck_InvalidFile_SaysItCannotBeUsedAndListsProblemsByLine() =>
        fixture.RunAsync(output, nameof(DatasetCheck_InvalidFile_SaysItCannotBeUsedAndListsProblemsByLine), async page =>
        {
            var bad = Path.Combine(fixture.Root, "broken.jsonl");
            await File.WriteAllLinesAsync(bad,
            [
                """{"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]}""",
                """{"messages": [{"role": "user", "content": "unclosed"}""",
                """{"messages": [{"role": "user", "content": "no answer"}]}""",
            ]);
            await page.GotoAsync("/check");
            await page.Locator("#check-file").SetInputFilesAsync(bad);
            var verdict = page.Locator("#check-verdict");
            await Expect(verdict).ToHaveAttributeAsync("data-usable", "false");
            await Expect(verdict).ToContainTextAsync("broken.jsonl cannot be used for training: 2 errors in 3 records");
            await Expect(verdict).ToContainTextAsync("Line 2");
            await Expect(page.Locator("#problems-table tr[data-line='2']")).ToBeVisibleAsync();
            await Expect(page.Locator("#problems-table tr[data-line='3']")).ToBeVisibleAsync();

            await page.Locator("#check-file").SetInputFilesAsync(fixture.SampleFile);
            await Expect(verdict).ToHaveAttributeAsync("data-usable", "true");
            await Expect(verdict).ToContainTextAsync("72 valid examples");

            await page.Locator("#check-file").SetInputFilesAsync(new FilePayload { Name = "manual.pdf", MimeType = "application/pdf", Buffer = "%PDF-1.4"u8.ToArray() });
            await Expect(verdict).ToContainTextAsync("is a document");
        });

    [Fact]
    public Task NewJobPage_OutOfRangeHyperparameters_AreNamedBeforeAnythingIsSent() =>
        fixture.RunAsync(output, nameof(NewJobPage_OutOfRangeHyperparameters_AreNamedBeforeAnythingIsSent), async page =>
        {
            var posts = 0;
            page.Request += (_, r) => { if (r.Method == "POST" && r.Url.EndsWith("/api/jobs", StringComparison.Ordinal)) posts++; };
            await page.GotoAsync("/new");
            await page.Locator("#files").SetInputFilesAsync(fixture.SampleFile);
            await page.Locator("#hp-learning_rate").FillAsync("0.5");
            await Expect(page.Locator("#hp-learning_rate-error")).ToHaveTextAsync("learning_rate must be above 0 and at most 0.1");  // as it is typed
            await page.Locator("#hp-epochs").FillAsync("0");
            await page.Locator("#hp-lora_rank").FillAsync("2.5");
            await page.Locator("#submit").ClickAsync();
            var errors = page.Locator("#form-errors");
            await Expect(errors).ToContainTextAsync("learning_rate must be above 0 and at most 0.1");
            await Expect(errors).ToContainTextAsync("epochs must be between 1 and 10");
            await Expect(errors).ToContainTextAsync("lora_rank must be a whole number");
            await Expect(page.Locator("#hp-epochs")).ToHaveAttributeAsync("aria-invalid", "true");
            Assert.EndsWith("/new", page.Url);
            Assert.Equal(0, posts);
        });

    private async Task<string> WaitForModelAsync(Func<string, bool> wanted)
    {
        // Serving picks up new deployments from storage every few seconds.
        for (var deadline = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(500))
        {
            var models = await fixture.Http.GetFromJsonAsync<JsonObject>("/v1/models");
            if (models!["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).FirstOrDefault(wanted) is { } id) return id;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no served model matched; /v1/models: {models.ToJsonString()}");
        }
    }
}
