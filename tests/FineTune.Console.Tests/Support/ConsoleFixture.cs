using System.Text.Json;
using System.Text.RegularExpressions;
using FineTune.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace FineTune.Console.Tests.Support;

/// <summary>
/// One `finetune serve` (tiny random Qwen2 served and trainable, local training backend) and one headless Debian
/// chromium for all console tests, plus one job shared by them: submitted through the New job page with the bundled
/// sample and a manifest that asks for approval, then approved on its page. Each flow runs once, in whichever test
/// needs it first; a failure is remembered and fails every test that needs it.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string DeploymentName = "console";
    /// <summary>Long waits (a job through training) are generous: the 2-core machine is shared.</summary>
    public static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(6);

    private readonly Lock _lock = new();
    private Task<string>? _submitted, _completed;

    public string Root { get; } = RepoPaths.NewTempDirectory("console-tests");
    public string ModelDirectory => Path.Combine(Root, "models", "tiny-qwen2");
    public string SampleFile => Path.Combine(RepoPaths.Root, "infra", "local", "sample", "sample.jsonl");
    public static string ScreenshotDirectory { get; } = Path.Combine(RepoPaths.Root, "TestResults", "console");
    public ConsoleServer Server { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await ConsoleServer.InitModelAsync(ModelDirectory);
        var launching = LaunchBrowserAsync();
        Server = await ConsoleServer.StartAsync(Path.Combine(Root, "data"), ModelDirectory);
        Http = new HttpClient { BaseAddress = Server.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        await launching;
    }

    private async Task LaunchBrowserAsync()
    {
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        Playwright?.Dispose();
        Http?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        if (Environment.GetEnvironmentVariable("FINETUNE_KEEP_TEST_FILES") == "1") System.Console.Error.WriteLine($"console tests: kept {Root}");
        else try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A page in a fresh browser context (own localStorage/sessionStorage) on the server.</summary>
    public static async Task<IPage> NewPageAsync(IBrowser browser, Uri baseUri, string locale = "en-US")
    {
        var context = await browser.NewContextAsync(new() { BaseURL = baseUri.ToString(), Locale = locale, ViewportSize = new() { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => { lock (errors) errors.Add(e); };
        PageErrors.AddOrUpdate(page, errors);
        return page;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, List<string>> PageErrors = new();

    /// <summary>Runs a browser test; on failure saves a full-page screenshot (path printed) and the page's script errors.</summary>
    public Task RunAsync(ITestOutputHelper output, string name, Func<IPage, Task> test, string locale = "en-US") =>
        RunAsync(output, name, test, Browser, Server, locale);

    public static async Task RunAsync(ITestOutputHelper? output, string name, Func<IPage, Task> test, IBrowser browser, ConsoleServer server, string locale = "en-US")
    {
        var page = await NewPageAsync(browser, server.BaseUri, locale);
        try
        {
            await test(page);
            if (PageErrors.TryGetValue(page, out var errors) && errors.Count > 0)
                throw new InvalidOperationException("script errors on the page: " + string.Join(" | ", errors));
        }
        catch (Exception e)
        {
            Directory.CreateDirectory(ScreenshotDirectory);
            var path = Path.Combine(ScreenshotDirectory, $"{name}.png");
            try { await page.ScreenshotAsync(new() { Path = path, FullPage = true }); }
            catch (PlaywrightException shot) { path = $"(no screenshot: {shot.Message})"; }
            var report = $"{name} failed at {page.Url}; screenshot: {path}";
            System.Console.Error.WriteLine(report);
            output?.WriteLine(report);
            if (PageErrors.TryGetValue(page, out var errors) && errors.Count > 0) output?.WriteLine("page errors: " + string.Join(" | ", errors));
            var log = server.Output;
            output?.WriteLine("server output (last 3000 chars):\n" + log[Math.Max(0, log.Length - 3000)..]);
            throw new Exception($"{report}: {e.Message}", e);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    // ---- the shared job ----

    /// <summary>The job submitted through the New job page (sample data + a manifest asking for approval).</summary>
    public Task<string> SubmittedJobAsync()
    {
        lock (_lock) return _submitted ??= Shared("shared-new-job", SubmitThroughNewJobPageAsync);
    }

    /// <summary>The same job once it waited at the gate, was approved on its page, and completed (deployed).</summary>
    public Task<string> CompletedJobAsync()
    {
        lock (_lock) return _completed ??= Shared("shared-approve", ApproveOnJobPageAsync);
    }

    private Task<string> Shared(string name, Func<IPage, Task<string>> flow) => Task.Run(async () =>
    {
        string result = "";
        await RunAsync(null, name, async page => result = await flow(page), Browser, Server);
        return result;
    });

    public string ManifestFile()
    {
        var path = Path.Combine(Root, "console-test.job.json");
        // The sample is learnable by the tiny model in a few epochs at this rate (see infra/local/demo.sh); fast preset otherwise.
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            preset = "fast",
            hyperparameters = new { learning_rate = 0.01, epochs = 3, batch_size = 4, lora_rank = 32, lora_alpha = 64, lora_dropout = 0 },
            requireApproval = true,
            deploymentName = DeploymentName,
        }));
        return path;
    }

    private async Task<string> SubmitThroughNewJobPageAsync(IPage page)
    {
        await page.GotoAsync("/new");
        await page.Locator("#files").SetInputFilesAsync([SampleFile, ManifestFile()]);
        await Expect(page.Locator("#manifest-loaded")).ToBeVisibleAsync();
        await Expect(page.Locator("#file-check .ok")).ToContainTextAsync("72");       // checked in the browser before submitting
        await Expect(page.Locator("#preset-fast")).ToBeCheckedAsync();
        await Expect(page.Locator("#hp-learning_rate")).ToHaveValueAsync("0.01");
        await Expect(page.Locator("#require-approval")).ToBeCheckedAsync();
        await page.Locator("#submit").ClickAsync();
        await page.WaitForURLAsync(new Regex("/jobs/[0-9a-f]{32}$"));
        return page.Url[(page.Url.LastIndexOf('/') + 1)..];
    }

    private async Task<string> ApproveOnJobPageAsync(IPage page)
    {
        var id = await SubmittedJobAsync();
        await page.GotoAsync($"/jobs/{id}");
        var approve = page.Locator("#approve");
        // The approve button, or the end of a job that will never wait (then fail at once, saying why).
        await page.Locator("#approve, #job-status[data-status=Failed], #job-status[data-status=Terminated]").First
            .WaitForAsync(new() { Timeout = (float)JobTimeout.TotalMilliseconds });
        if (!await approve.IsVisibleAsync())
            throw new InvalidOperationException($"job {id} ended before the gate: {await page.Locator("#job-error").TextContentAsync()}");
        await Expect(page.Locator("[data-stage=gate]")).ToHaveAttributeAsync("data-state", "waiting");
        await Expect(page.Locator("#job-status")).ToHaveAttributeAsync("data-status", "Waiting");
        await approve.ClickAsync();
        await Expect(page.Locator("#job-status")).ToHaveAttributeAsync("data-status", "Completed", new() { Timeout = 60_000 });
        return id;
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}
