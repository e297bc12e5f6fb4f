using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Cli.Bench;
using FineTune.Host.Hosting;
using FineTune.Host.Serving;
using FineTune.Models.Chat;
using FineTune.Models.Checkpoints;
using FineTune.Models.Generation;
using FineTune.Models.Lora;
using FineTune.Models.Tokenization;
using FineTune.Models.Transformer;
using FineTune.Torch;
using Microsoft.Extensions.Logging;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune bench serve`: a tiny random Qwen2 with 8 random LoRA adapters behind the real host (Kestrel on loopback,
/// OpenAI-compatible API, streamed requests): requests/s, completion tokens/s and time to first token (p50, p95) at
/// concurrency 1, 4, 16 and 64, with requests spread over 1 and over 8 adapters (and the loss of 8 against 1); then single-sequence greedy decode tokens/s of the engine beside a plain PyTorch eager
/// KV-cached greedy loop (Bench/torch_generate_ref.py) on the same checkpoint and prompt, alternated within one run.
/// Every figure is the median of --repetitions runs with min–max (<see cref="BenchRuns"/>). Last line: one JSON object.
/// </summary>
public static class BenchServeCommand
{
    public static Command Create()
    {
        var requests = new Option<int>("--requests") { Description = "Requests per slice (256: a slice lasts about a second even at concurrency 16, where 64 left it to a few hundred milliseconds of a shared machine).", DefaultValueFactory = _ => 256 };
        var slicesPerSide = new Option<int>("--slices") { Description = "Slices for each of 1 and 8 adapters in a repetition of a concurrency, interleaved A B B A, B A A B, … (an even number; 8: four such blocks).", DefaultValueFactory = _ => 8 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "max_tokens of each request.", DefaultValueFactory = _ => 32 };
        var decodeTokens = new Option<int>("--decode-tokens") { Description = "Tokens generated in the decode comparison.", DefaultValueFactory = _ => 256 };
        var threads = new Option<int?>("--threads") { Description = "Threads for both engines (default: FINETUNE_THREADS or every core)." };
        var python = new Option<string>("--python") { Description = "Python with torch for the reference loop.", DefaultValueFactory = _ => "/usr/bin/python3" };
        var noTorch = new Option<bool>("--no-torch") { Description = "Skip the PyTorch reference." };
        var maxBatch = new Option<int>("--max-batch") { Description = "The server's largest batch (sequences decoded together).", DefaultValueFactory = _ => 64 };
        var repetitions = new Option<int>("--repetitions") { Description = "Repetitions of each measurement (median, min–max).", DefaultValueFactory = _ => 3 };
        var command = new Command("serve", "Serving throughput and time to first token (1 and 8 adapters, concurrency 1/4/16/64) and decode tokens/s beside PyTorch eager.")
            { requests, slicesPerSide, maxTokens, decodeTokens, threads, python, noTorch, maxBatch, repetitions };
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            int n = pr.GetValue(requests), m = pr.GetValue(maxTokens), d = pr.GetValue(decodeTokens);
            int b = pr.GetValue(maxBatch), reps = pr.GetValue(repetitions), k = pr.GetValue(slicesPerSide);
            if (n < 1 || m < 1 || d < 2 || b < 1 || reps < 1 || k < 2 || k % 2 != 0)
            {
                Console.Error.WriteLine("finetune bench serve: --requests, --max-tokens, --max-batch and --repetitions at least 1, --decode-tokens at least 2, --slices even and at least 2");
                return ExitCodes.Usage;
            }
            int t = LibTorch.ConfigureThreads(pr.GetValue(threads));
            var machine = BenchRuns.Machine(t);
            var root = Path.Combine(Path.GetTempPath(), $"finetune-bench-serve-{Guid.NewGuid():N}");
            try
            {
                var modelDir = Path.Combine(root, "model");
                var adaptersDir = Path.Combine(root, "adapters");
                WriteModel(modelDir, adaptersDir, 8);
                var results = new JsonObject { ["model"] = "TinyQwen2 (random)", ["threads"] = t, ["max_tokens"] = m, ["requests_per_slice"] = n, ["slices_per_side"] = k, ["max_batch"] = b, ["machine"] = machine, ["repetitions"] = reps };
                results["serving"] = await MeasureServingAsync(root, modelDir, adaptersDir, n, k, m, b, reps, ct);
                results["engine"] = MeasureEngine(modelDir, adaptersDir, m, reps);
                results["decode"] = MeasureDecode(modelDir, d, t, reps, pr.GetValue(noTorch) ? null : pr.GetValue(python)!);
                Console.WriteLine(results.ToJsonString());
                return ExitCodes.Ok;
            }
            finally
            {
                try { Directory.Delete(root, recursive: true); } catch (IOException) { }
            }
        });
        return command;
    }

    private static void WriteModel(string modelDir, string adaptersDir, int adapters)
    {
        ModelFolder.Create(modelDir, ModelPresets.TinyQwen2, seed: 1);
        using var model = ModelLoader.Load(modelDir);
        LibTorch.ManualSeed(1);
        for (int i = 0; i < adapters; i++)
        {
            using var adapter = LoraAdapter.Create(model, new LoraConfig { Rank = 8, Alpha = 16 });
            using (LibTorch.NoGrad())
                foreach (var w in adapter.Modules.Values)
                {
                    using var r = Tensor.Randn(w.B.Shape).Mul(0.05);
                    w.B.CopyFrom(r);
                }
            adapter.Save(Path.Combine(adaptersDir, $"adapter-{i}"));
        }
    }

    // ---- serving throughput over HTTP ----

    private static async Task<JsonArray> MeasureServingAsync(string root, string modelDir, string adaptersDir, int requests, int slicesPerSide, int maxTokens, int maxBatch, int reps, CancellationToken ct)
    {
        var scriptRoot = Directory.CreateDirectory(Path.Combine(root, "script-root")).FullName;
        var settings = HostSettingsLoader.Load(Path.Combine(root, "data"), null, "http://127.0.0.1:0", scriptRoot);
        var serving = new ServingOptions { ModelDirectory = modelDir, BaseModelId = "tiny", AdaptersDirectory = adaptersDir, MaxLoadedAdapters = 8, MaxBatchSize = maxBatch, MaxQueuedRequests = 1024 };
        var app = await FineTuneHost.BuildAsync(settings, b =>
        {
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            b.Services.AddFineTuneServing(serving);
        }, ct);
        await app.StartAsync(ct);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromMinutes(5) };
            var cells = new JsonArray();
            for (int i = 0; i < 8; i++) await CompleteAsync(http, $"adapter-{i}", "warm up", maxTokens, ct); // loads every adapter once
            int[] concurrencies = [1, 4, 16, 64];
            var grid = (from concurrency in concurrencies from adapters in new[] { 1, 8 } select (adapters, concurrency)).ToArray();
            // Warm-up, not counted: one slice at each concurrency, so the code paths of every batch size are compiled first.
            foreach (var concurrency in concurrencies) await RunCellAsync(http, 8, concurrency, requests, maxTokens, ct);
            // A repetition of one concurrency is 2 × slicesPerSide slices of `requests` each, 1 and 8 adapters in blocks of four,
            // A B B A then B A A B … (starting with B A A B in odd repetitions), and each side's figure is over its slices: a slow
            // spell or a drift of a shared machine then falls on both sides of the pair. The concurrencies alternate their order
            // between repetitions.
            var runs = grid.ToDictionary(c => c, _ => new List<(double Rps, double Tps, double P50, double P95, long Tokens)>());
            long compiled = 0;
            for (int r = 0; r < reps; r++)
                foreach (var concurrency in r % 2 == 0 ? concurrencies : concurrencies.Reverse())
                {
                    var order = Enumerable.Range(0, slicesPerSide / 2).SelectMany(block => (r + block) % 2 == 0 ? new[] { 1, 8, 8, 1 } : [8, 1, 1, 8]);
                    var slices = new List<(int Adapters, Slice Slice)>();
                    foreach (var adapters in order)
                    {
                        long before = System.Runtime.JitInfo.GetCompiledMethodCount();
                        slices.Add((adapters, await RunCellAsync(http, adapters, concurrency, requests, maxTokens, ct)));
                        compiled += System.Runtime.JitInfo.GetCompiledMethodCount() - before;
                    }
                    foreach (var adapters in new[] { 1, 8 })
                        runs[(adapters, concurrency)].Add(Slice.Combine(slices.Where(s => s.Adapters == adapters).Select(s => s.Slice).ToList()));
                }
            Console.WriteLine($"jit: {compiled} methods compiled during the timed serving slices");
            var rpsAt = new Dictionary<(int, int), Figure>();
            foreach (var (adapters, concurrency) in grid.OrderBy(c => c.adapters))
            {
                var run = runs[(adapters, concurrency)];
                Figure rps = Figure.Of(run.Select(x => x.Rps).ToList()), tps = Figure.Of(run.Select(x => x.Tps).ToList());
                Figure p50 = Figure.Of(run.Select(x => x.P50).ToList()), p95 = Figure.Of(run.Select(x => x.P95).ToList());
                rpsAt[(adapters, concurrency)] = rps;
                cells.Add(new JsonObject
                {
                    ["adapters"] = adapters,
                    ["concurrency"] = concurrency,
                    ["requests_per_s"] = rps.ToJson(),
                    ["tokens_per_s"] = tps.ToJson(),
                    ["ttft_p50_ms"] = p50.ToJson(),
                    ["ttft_p95_ms"] = p95.ToJson(),
                    ["mean_completion_tokens"] = Math.Round((double)run[^1].Tokens / (slicesPerSide * requests), 1),
                });
                Console.WriteLine($"serve: {adapters} adapter(s), concurrency {concurrency,2}: {rps} req/s, {tps} tokens/s, time to first token p50 {p50} ms, p95 {p95} ms");
            }
            foreach (var concurrency in concurrencies)
            {
                // Throughput lost by spreading the requests over 8 adapters instead of 1: of the medians, and of each
                // repetition's side-by-side pair of cells.
                var loss = 1 - rpsAt[(8, concurrency)].Median / rpsAt[(1, concurrency)].Median;
                var losses = runs[(8, concurrency)].Zip(runs[(1, concurrency)]).Where(p => p.First.Rps > 0 && p.Second.Rps > 0)
                    .Select(p => 1 - p.First.Rps / p.Second.Rps).ToList();
                var pairLoss = losses.Count > 0 ? Figure.Of(losses, digits: 3) : null;
                Console.WriteLine($"serve: concurrency {concurrency,2}: 8 adapters vs 1: {Math.Round(100 * loss, 1)}% fewer req/s; "
                    + $"per repetition {(pairLoss is null ? "n/a" : $"{Math.Round(100 * pairLoss.Min, 1)}% to {Math.Round(100 * pairLoss.Max, 1)}%")}");
                cells.Add(new JsonObject
                {
                    ["concurrency"] = concurrency,
                    ["loss_8_adapters_vs_1"] = Math.Round(loss, 3),
                    ["loss_paired"] = pairLoss?.ToJson(),
                });
            }
            return cells;
        }
        finally
        {
            await app.App.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    /// <summary>One slice: how long <c>Ttft.Length</c> requests took, their completion tokens and each one's time to first token (ms).</summary>
    private sealed record Slice(double Seconds, long Tokens, double[] Ttft)
    {
        /// <summary>Requests/s, tokens/s and time-to-first-token percentiles over several slices of one side.</summary>
        public static (double Rps, double Tps, double P50, double P95, long Tokens) Combine(IReadOnlyList<Slice> slices)
        {
            double seconds = slices.Sum(s => s.Seconds);
            long tokens = slices.Sum(s => s.Tokens);
            var ttft = slices.SelectMany(s => s.Ttft).Order().ToArray();
            return (ttft.Length / seconds, tokens / seconds, Percentile(ttft, 0.50), Percentile(ttft, 0.95), tokens);
        }
    }

    /// <summary>One slice: <paramref name="requests"/> streamed requests over <paramref name="adapters"/> adapters, <paramref name="concurrency"/> at a time.</summary>
    private static async Task<Slice> RunCellAsync(HttpClient http, int adapters, int concurrency, int requests, int maxTokens, CancellationToken ct)
    {
        int next = -1;
        long tokens = 0;
        var ttft = new double[requests];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            for (int i = Interlocked.Increment(ref next); i < requests; i = Interlocked.Increment(ref next))
            {
                var (count, first) = await CompleteAsync(http, $"adapter-{i % adapters}", $"request {i}: say something about the number {i * 7}", maxTokens, ct);
                Interlocked.Add(ref tokens, count);
                ttft[i] = first.TotalMilliseconds;
            }
        }));
        return new Slice(clock.Elapsed.TotalSeconds, tokens, ttft);
    }

    private static double Percentile(double[] sorted, double q) =>
        Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)], 2);

    /// <summary>One streamed request: its completion tokens (from the usage chunk) and the time to its first content chunk.</summary>
    private static async Task<(int Tokens, TimeSpan FirstToken)> CompleteAsync(HttpClient http, string model, string text, int maxTokens, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["temperature"] = 0,
            ["max_completion_tokens"] = maxTokens,
            ["stream"] = true,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
        };
        var clock = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        TimeSpan? first = null;
        int tokens = -1;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]") continue;
            var chunk = JsonNode.Parse(line["data: ".Length..])!;
            if (first is null && chunk["choices"] is JsonArray { Count: > 0 } choices && choices[0]!["delta"]?["content"] is JsonValue content
                && content.GetValue<string>().Length > 0) first = clock.Elapsed;
            if (chunk["usage"] is JsonObject usage) tokens = usage["completion_tokens"]!.GetValue<int>();
        }
        if (tokens < 0) throw new InvalidOperationException("the stream ended without a usage chunk");
        return (tokens, first ?? clock.Elapsed);
    }

    // ---- the engine without HTTP: 16 sequences over 1 adapter against 8 adapters ----

    /// <summary>
    /// Tokens/s of 16 greedy sequences generated together (prefill included) when they all use one adapter and when they
    /// spread over eight: continuous batching (<see cref="BatchDecoder"/>, one forward for every adapter) alternated
    /// with the per-adapter batching served before it (<see cref="Generator"/>, one batch per adapter).
    /// </summary>
    private static JsonObject MeasureEngine(string modelDir, string adaptersDir, int maxTokens, int reps)
    {
        const int sequences = 16;
        var tokenizer = Tokenizer.Load(modelDir);
        var template = ChatTemplate.ForTokenizer(tokenizer);
        var prompts = Enumerable.Range(0, sequences)
            .Select(i => template.Render([("user", $"request {i}: say something about the number {i * 7}")], addGenerationPrompt: true).ids).ToArray();
        using var model = ModelLoader.Load(modelDir);
        var adapters = Enumerable.Range(0, 8).Select(i => LoraAdapter.Load(Path.Combine(adaptersDir, $"adapter-{i}"), model)).ToArray();
        try
        {
            using var stack = new AdapterStack(model, adapters);
            var options = new SamplingOptions { MaxNewTokens = maxTokens };
            double Continuous(int spread)
            {
                using var decoder = new BatchDecoder(model, sequences, []) { Adapters = stack };
                var seqs = prompts.Select((p, i) => new DecodeSequence(p, options, adapters[i % spread])).ToArray();
                var clock = Stopwatch.StartNew();
                foreach (var seq in seqs) decoder.Add(seq);
                while (decoder.Running.Any(s => s.Finish is null)) decoder.Step();
                var rate = seqs.Sum(s => s.Generated.Count) / clock.Elapsed.TotalSeconds;
                foreach (var seq in seqs) seq.Dispose();
                AdapterStack.DetachFrom(model);
                return rate;
            }
            double PerAdapter(int spread)
            {
                var clock = Stopwatch.StartNew();
                long tokens = 0;
                for (int a = 0; a < spread; a++)
                {
                    adapters[a].AttachTo(model);
                    var batch = prompts.Where((_, i) => i % spread == a).ToArray();
                    tokens += new Generator(model).Generate(batch, options).Sum(r => r.Tokens.Length);
                }
                LoraAdapter.RemoveFrom(model);
                return tokens / clock.Elapsed.TotalSeconds;
            }
            var result = new JsonObject { ["sequences"] = sequences, ["new_tokens"] = maxTokens };
            foreach (var (name, run) in new (string, Func<int, double>)[] { ("continuous", Continuous), ("per_adapter_batches", PerAdapter) })
            {
                var (eight, one) = BenchRuns.Alternate(reps, () => run(8), () => run(1));
                Figure f8 = Figure.Of(eight), f1 = Figure.Of(one);
                var loss = Math.Round(1 - f8.Median / f1.Median, 3);
                result[name] = new JsonObject { ["one_adapter_tokens_per_s"] = f1.ToJson(), ["eight_adapters_tokens_per_s"] = f8.ToJson(), ["loss_8_adapters_vs_1"] = loss };
                Console.WriteLine($"engine ({name.Replace('_', ' ')}): {sequences} sequences, 1 adapter {f1} tokens/s, 8 adapters {f8} tokens/s: {Math.Round(100 * loss, 1)}% fewer");
            }
            return result;
        }
        finally
        {
            foreach (var a in adapters) a.Dispose();
        }
    }

    // ---- single-sequence greedy decode: engine beside PyTorch eager ----

    private static JsonObject MeasureDecode(string modelDir, int tokens, int threads, int reps, string? python)
    {
        var tokenizer = Tokenizer.Load(modelDir);
        var prompt = ChatTemplate.ForTokenizer(tokenizer).Render([("user", "Write a long story about a lighthouse keeper.")], addGenerationPrompt: true).ids;
        using var model = ModelLoader.Load(modelDir);
        var generator = new Generator(model);
        int[] ourTokens = [];
        string? torchError = null, torchVersion = null;
        int[]? theirTokens = null;
        // No eos: exactly `tokens` tokens on both sides.
        var (ours, theirs) = BenchRuns.Alternate(reps,
            () =>
            {
                long first = 0, last = 0;
                ourTokens = generator.Generate([prompt], new SamplingOptions { MaxNewTokens = tokens },
                    onToken: (_, _) => { last = Stopwatch.GetTimestamp(); if (first == 0) first = last; })[0].Tokens;
                var rate = (tokens - 1) / Stopwatch.GetElapsedTime(first, last).TotalSeconds;
                Console.WriteLine($"decode: finetune {Math.Round(rate, 1)} tokens/s ({tokens} tokens, batch 1, {threads} threads)");
                return rate;
            },
            python is null ? null : () =>
            {
                var (torch, error) = PythonReference.Run(python, [PythonReference.GenerateScript, modelDir, "--new", tokens.ToString(),
                    "--threads", threads.ToString(), "--prompt-ids", JsonSerializer.Serialize(prompt)]);
                if (torch is null) { torchError ??= error; return 0; }
                torchVersion = torch["torch"]!.GetValue<string>();
                theirTokens = torch["tokens"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
                var rate = torch["decode_tokens_per_s"]!.GetValue<double>();
                Console.WriteLine($"decode: torch eager {rate} tokens/s (torch {torchVersion})");
                return rate;
            });
        var oursFigure = Figure.Of(ours);
        var decode = new JsonObject { ["tokens"] = tokens, ["prompt_tokens"] = prompt.Length, ["finetune_tokens_per_s"] = oursFigure.ToJson() };
        var done = theirs.Where(r => r > 0).ToList();
        if (done.Count > 0)
        {
            var theirFigure = Figure.Of(done);
            int agree = 0;
            while (agree < Math.Min(theirTokens!.Length, ourTokens.Length) && theirTokens[agree] == ourTokens[agree]) agree++;
            decode["torch_eager_tokens_per_s"] = theirFigure.ToJson();
            decode["ratio_finetune_over_torch"] = Figure.Ratio(oursFigure, theirFigure);
            decode["torch_version"] = torchVersion;
            decode["greedy_tokens_agreeing"] = agree;
            Console.WriteLine($"decode: finetune {oursFigure}, torch eager {theirFigure} tokens/s; ratio {decode["ratio_finetune_over_torch"]}; first {agree}/{tokens} greedy tokens agree");
        }
        if (torchError is not null)
        {
            decode["torch_error"] = torchError;
            Console.Error.WriteLine($"decode: torch reference failed: {torchError}");
        }
        // Generation tokens/s (prefill included) by batch size, on the base and with a rank-8 adapter set: what the
        // serving worker runs per batch.
        var byBatch = new JsonArray();
        using (var adapter = LoraAdapter.Load(Path.Combine(Path.GetDirectoryName(modelDir)!, "adapters", "adapter-0"), model))
            foreach (var lora in new[] { false, true })
            {
                if (lora) adapter.AttachTo(model);
                foreach (var batch in new[] { 1, 4, 16 })
                {
                    int n = Math.Min(tokens, 64);
                    var rates = new List<double>();
                    for (int r = 0; r < reps; r++)
                    {
                        var clock = Stopwatch.StartNew();
                        generator.Generate(Enumerable.Repeat(prompt, batch).ToArray(), new SamplingOptions { MaxNewTokens = n });
                        rates.Add(batch * n / clock.Elapsed.TotalSeconds);
                    }
                    var rate = Figure.Of(rates);
                    byBatch.Add(new JsonObject { ["lora"] = lora, ["batch"] = batch, ["new_tokens"] = n, ["tokens_per_s"] = rate.ToJson() });
                    Console.WriteLine($"generate: {(lora ? "lora" : "base")} batch {batch,2}: {rate} tokens/s ({n} new tokens each, prefill included)");
                }
                LoraAdapter.RemoveFrom(model);
            }
        decode["finetune_generate_by_batch"] = byBatch;
        return decode;
    }
}
