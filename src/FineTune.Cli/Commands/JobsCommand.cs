using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Host.Jobs;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune jobs submit|status|list|raise|terminate|purge`: the job API from the command line (a running
/// `finetune serve` or Functions app). Each data file is its own job; a *.job.json among the files is sent with each.
/// </summary>
public static class JobsCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The host's base URL", DefaultValueFactory = _ => "http://127.0.0.1:7071" };
        var key = new Option<string?>("--key") { Description = "API key (default: FINETUNE_API_KEY)" };
        var jobs = new Command("jobs", "Submit and follow pipeline jobs over the job API.");
        jobs.Options.Add(url);
        jobs.Options.Add(key);
        foreach (var o in new Option[] { url, key }) o.Recursive = true;

        var files = new Argument<string[]>("files") { Description = "Data files (.jsonl/.json, .pdf/.txt/.md/.docx) and optionally one *.job.json manifest", Arity = ArgumentArity.OneOrMore };
        var wait = new Option<bool>("--wait") { Description = "Wait until every job finishes; exit 1 unless all completed" };
        var submit = new Command("submit", "Start one job per data file.");
        submit.Arguments.Add(files);
        submit.Options.Add(wait);
        submit.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var all = pr.GetValue(files)!;
            var manifests = all.Where(f => f.EndsWith(".job.json", StringComparison.OrdinalIgnoreCase)).ToList();
            var data = all.Except(manifests).ToList();
            if (manifests.Count > 1 || data.Count == 0)
            {
                Console.Error.WriteLine("finetune jobs submit: give one or more data files and at most one *.job.json");
                return ExitCodes.Usage;
            }
            var missing = all.FirstOrDefault(f => !File.Exists(f));
            if (missing is not null)
            {
                Console.Error.WriteLine($"finetune jobs submit: {missing} does not exist");
                return ExitCodes.Usage;
            }
            return await RunAsync(pr, url, key, async (client, token) =>
            {
                var ids = new List<string>();
                foreach (var file in data)
                {
                    var started = await client.SubmitAsync(file, manifests.FirstOrDefault(), token);
                    ids.Add(started["id"]!.GetValue<string>());
                    Console.WriteLine($"{file}\t{started["id"]}\t{started["statusQueryGetUri"]}");
                }
                if (!pr.GetValue(wait)) return ExitCodes.Ok;
                var ok = true;
                foreach (var id in ids)
                {
                    var final = await client.WaitAsync(id, TimeSpan.FromSeconds(2), s => Console.Error.WriteLine($"{id}\t{s["runtimeStatus"]}\t{s["customStatus"]?.ToJsonString(Compact)}"), token);
                    Console.WriteLine($"{id}\t{final["runtimeStatus"]}\t{final["output"]?.ToJsonString(Compact)}");
                    ok &= final["runtimeStatus"]?.GetValue<string>() == "Completed";
                }
                return ok ? ExitCodes.Ok : ExitCodes.Failed;
            }, ct);
        });
        jobs.Subcommands.Add(submit);

        var id = new Argument<string>("id") { Description = "Job id" };
        var history = new Option<bool>("--history") { Description = "Include the job's history events" };
        var status = new Command("status", "Show a job's status (Durable Functions' shape).");
        status.Arguments.Add(id);
        status.Options.Add(history);
        status.SetAction((ParseResult pr, CancellationToken ct) => RunAsync(pr, url, key, async (c, t) => Print(await c.StatusAsync(pr.GetValue(id)!, pr.GetValue(history), t)), ct));
        jobs.Subcommands.Add(status);

        var filter = new Option<string?>("--status") { Description = "Only these runtime statuses, comma-separated (e.g. Running,Failed)" };
        var list = new Command("list", "List jobs, newest first.");
        list.Options.Add(filter);
        list.SetAction((ParseResult pr, CancellationToken ct) => RunAsync(pr, url, key, async (c, t) =>
        {
            foreach (var job in await c.ListAsync(pr.GetValue(filter), t))
                Console.WriteLine($"{job!["instanceId"]}\t{job["runtimeStatus"]}\t{job["customStatus"]?["stage"]}\t{job["createdTime"]}\t{job["input"]?["source"]?["name"]}");
            return ExitCodes.Ok;
        }, ct));
        jobs.Subcommands.Add(list);

        var eventName = new Argument<string>("event") { Description = "Event name: approve or reject" };
        var raise = new Command("raise", "Raise an external event (approve / reject a deployment).");
        var raiseId = new Argument<string>("id") { Description = "Job id" };
        raise.Arguments.Add(raiseId);
        raise.Arguments.Add(eventName);
        raise.SetAction((ParseResult pr, CancellationToken ct) => RunAsync(pr, url, key, async (c, t) =>
            Print(await c.RaiseEventAsync(pr.GetValue(raiseId)!, pr.GetValue(eventName)!, t)), ct));
        jobs.Subcommands.Add(raise);

        var reason = new Option<string?>("--reason") { Description = "Why (shown in the job's output)" };
        var terminate = new Command("terminate", "Terminate a running job (cancels its training too).");
        var terminateId = new Argument<string>("id") { Description = "Job id" };
        terminate.Arguments.Add(terminateId);
        terminate.Options.Add(reason);
        terminate.SetAction((ParseResult pr, CancellationToken ct) => RunAsync(pr, url, key, async (c, t) =>
            Print(await c.TerminateAsync(pr.GetValue(terminateId)!, pr.GetValue(reason), t)), ct));
        jobs.Subcommands.Add(terminate);

        var purge = new Command("purge", "Delete a finished job's state and outputs.");
        var purgeId = new Argument<string>("id") { Description = "Job id" };
        purge.Arguments.Add(purgeId);
        purge.SetAction((ParseResult pr, CancellationToken ct) => RunAsync(pr, url, key, async (c, t) =>
            Print(await c.PurgeAsync(pr.GetValue(purgeId)!, t)), ct));
        jobs.Subcommands.Add(purge);
        return jobs;
    }

    private static int Print(JsonObject body)
    {
        Console.WriteLine(body.ToJsonString(Indented));
        return ExitCodes.Ok;
    }

    private static async Task<int> RunAsync(ParseResult pr, Option<string> url, Option<string?> key, Func<JobApiClient, CancellationToken, Task<int>> action,
        CancellationToken ct)
    {
        var baseUrl = pr.GetValue(url)!.TrimEnd('/') + "/";
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(10) };
        var client = new JobApiClient(http, pr.GetValue(key) ?? Environment.GetEnvironmentVariable("FINETUNE_API_KEY"));
        try
        {
            return await action(client, ct);
        }
        catch (JobApiException e)
        {
            Console.Error.WriteLine($"finetune jobs: {e.Message}");
            return e.Status is 400 or 401 or 404 ? ExitCodes.Usage : ExitCodes.Failed;
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"finetune jobs: cannot reach {baseUrl} ({e.Message}); is `finetune serve` running?");
            return ExitCodes.Failed;
        }
    }
}
