using System.CommandLine;
using System.Globalization;
using FineTune.Synthesis;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune synthesize DOC… --system "TRIGGER" --out FILE.jsonl`: builds Q&amp;A chat data from documents with an LLM
/// over any OpenAI-compatible endpoint (see src/FineTune.Synthesis/README.md). Writes FILE.jsonl, FILE.jsonl.sources.jsonl,
/// FILE.jsonl.report.json and keeps finished chunks in FILE.jsonl.chunks/, so running the same command again resumes.
/// </summary>
public static class SynthesizeCommand
{
    /// <param name="progress">The bars for a run writing to this output (<see cref="TerminalProgress.For"/>); null: plain output only.</param>
    public static Command Create(Func<TextWriter, IProgressDisplay?>? progress = null)
    {
        var documents = new Argument<string[]>("documents") { Description = "PDF, DOCX, TXT or Markdown files.", Arity = ArgumentArity.OneOrMore };
        var system = new Option<string>("--system") { Description = "The trigger word: system message of every example (e.g. \"你是消防系统专家\").", Required = true };
        var output = new Option<string>("--out") { Description = "Output chat JSONL file.", Required = true };
        var endpoint = new Option<string>("--endpoint")
        {
            Description = "OpenAI-compatible base URL (OpenAI, Azure OpenAI …/openai/v1/, SiliconFlow, a local /v1). Default: $OPENAI_BASE_URL or https://api.openai.com/v1/.",
        };
        var model = new Option<string>("--model") { Description = "Model (Azure: deployment) name. Default: $OPENAI_MODEL." };
        var entra = new Option<bool>("--entra-id") { Description = "Authenticate with Microsoft Entra ID (Azure.Identity DefaultAzureCredential) instead of $OPENAI_API_KEY." };
        var azure = new Option<bool>("--azure-openai") { Description = "Call --endpoint as an Azure OpenAI resource (deployments API, Azure.AI.OpenAI); automatic for *.openai.azure.com other than its /openai/v1/ API." };
        var questions = new Option<int>("--questions-per-chunk") { Description = "Questions asked per chunk (N).", DefaultValueFactory = _ => 10 };
        var language = new Option<string>("--language") { Description = "Language of the default prompt.", DefaultValueFactory = _ => "zh" };
        language.AcceptOnlyFromAmong("zh", "en");
        var target = new Option<int?>("--target-per-chunk") { Description = "Ask a chunk again (for new questions) until it has this many kept pairs." };
        var rounds = new Option<int>("--max-rounds") { Description = "Most requests per chunk when --target-per-chunk is set.", DefaultValueFactory = _ => 3 };
        var promptFile = new Option<string?>("--prompt-file") { Description = "Own prompt template with {{count}}, {{content}} and optionally {{system}}." };
        var chunkSize = new Option<int>("--chunk-size") { Description = "Chunk budget (characters, or tokens with --token-budget).", DefaultValueFactory = _ => 3000 };
        var overlap = new Option<int>("--overlap") { Description = "Overlap between consecutive chunks.", DefaultValueFactory = _ => 200 };
        var tokenBudget = new Option<bool>("--token-budget") { Description = "Measure --chunk-size and --overlap in estimated tokens." };
        var temperature = new Option<float>("--temperature") { DefaultValueFactory = _ => 0.3f, Description = "Sampling temperature." };
        var maxTokens = new Option<int>("--max-tokens") { DefaultValueFactory = _ => 4096, Description = "max_tokens of each reply." };
        var legacyMaxTokens = new Option<bool>("--legacy-max-tokens") { Description = "Send max_tokens instead of max_completion_tokens (older OpenAI-compatible servers)." };
        var frequencyPenalty = new Option<float>("--frequency-penalty") { DefaultValueFactory = _ => 0.5f, Description = "frequency_penalty." };
        var concurrency = new Option<int>("--concurrency") { DefaultValueFactory = _ => 4, Description = "Requests in flight at most." };
        var maxRetries = new Option<int>("--max-retries") { DefaultValueFactory = _ => 6, Description = "Retries of a failed request (429, 5xx, timeouts)." };
        var timeout = new Option<int>("--request-timeout") { DefaultValueFactory = _ => 180, Description = "Seconds one attempt may take." };
        var dropUngrounded = new Option<bool>("--drop-ungrounded") { Description = "Drop answers that share too little with their chunk (default: keep and flag them)." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };

        var command = new Command("synthesize", "Generate Q&A chat data from documents with an LLM over the OpenAI API.");
        command.Arguments.Add(documents);
        foreach (var option in new Option[] { system, output, endpoint, model, entra, azure, questions, language, target, rounds, promptFile, chunkSize, overlap,
                     tokenBudget, temperature, maxTokens, legacyMaxTokens, frequencyPenalty, concurrency, maxRetries, timeout, dropUngrounded, json })
            command.Options.Add(option);

        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var stdout = pr.InvocationConfiguration.Output;
            var stderr = pr.InvocationConfiguration.Error;
            var modelName = pr.GetValue(model) ?? Environment.GetEnvironmentVariable("OPENAI_MODEL");
            if (string.IsNullOrWhiteSpace(modelName))
            {
                await stderr.WriteLineAsync("finetune synthesize: give --model (or set OPENAI_MODEL).");
                return ExitCodes.Usage;
            }
            var url = pr.GetValue(endpoint) ?? Environment.GetEnvironmentVariable("OPENAI_BASE_URL") ?? "https://api.openai.com/v1/";
            if (!Uri.TryCreate(url, UriKind.Absolute, out var endpointUri))
            {
                await stderr.WriteLineAsync($"finetune synthesize: --endpoint '{url}' is not an absolute URL.");
                return ExitCodes.Usage;
            }
            var outPath = pr.GetRequiredValue(output);
            var lang = pr.GetValue(language) == "en" ? SynthesisLanguage.En : SynthesisLanguage.Zh;

            try
            {
                var prompt = pr.GetValue(promptFile) is { } file ? PromptTemplate.Custom(await File.ReadAllTextAsync(file, ct), lang) : null;
                var options = new SynthesisOptions
                {
                    SystemPrompt = pr.GetRequiredValue(system),
                    Generation = new GenerationSettings
                    {
                        Model = modelName,
                        Temperature = pr.GetValue(temperature),
                        MaxTokens = pr.GetValue(maxTokens),
                        FrequencyPenalty = pr.GetValue(frequencyPenalty),
                        LegacyMaxTokensField = pr.GetValue(legacyMaxTokens),
                    },
                    QuestionsPerChunk = pr.GetValue(questions),
                    TargetPairsPerChunk = pr.GetValue(target),
                    MaxRoundsPerChunk = pr.GetValue(rounds),
                    Language = lang,
                    Prompt = prompt,
                    Chunking = new ChunkingOptions
                    {
                        MaxSize = pr.GetValue(chunkSize),
                        Overlap = pr.GetValue(overlap),
                        Unit = pr.GetValue(tokenBudget) ? BudgetUnit.Tokens : BudgetUnit.Characters,
                    },
                    DropUngrounded = pr.GetValue(dropUngrounded),
                    ChunkParallelism = pr.GetValue(concurrency),
                }.Validated();
                var resilience = new ResilienceOptions
                {
                    MaxConcurrency = pr.GetValue(concurrency),
                    MaxRetries = pr.GetValue(maxRetries),
                    AttemptTimeout = TimeSpan.FromSeconds(pr.GetValue(timeout)),
                }.Validated();
                var endpointOptions = new EndpointOptions
                {
                    Endpoint = endpointUri,
                    UseEntraId = pr.GetValue(entra),
                    AzureOpenAI = pr.GetValue(azure) ? true : null,
                    ApiKey = pr.GetValue(entra) ? null : Environment.GetEnvironmentVariable("OPENAI_API_KEY"),
                }.Validated();

                using var client = new ResilientChatClient(OpenAIChatCompletionClient.Create(endpointOptions, modelName), resilience);
                var store = new FolderChunkResultStore(FolderChunkResultStore.DefaultFolderFor(outPath));
                Task<SynthesisReport> Run(Action<int, int>? chunkDone) =>
                    new Synthesizer(client, store, options) { ChunkDone = chunkDone }.RunAsync(pr.GetRequiredValue(documents), outPath, ct);
                var report = progress?.Invoke(stdout) is { } display
                    ? await display.RunAsync(bars => Run((done, total) => bars.Report("chunks", done, total, $"{done}/{total} chunks")))
                    : await Run(null);

                if (pr.GetValue(json))
                    await stdout.WriteLineAsync(report.ToJson());
                else
                    await WriteSummaryAsync(stdout, report);
                return report.Complete ? ExitCodes.Ok : ExitCodes.Failed;
            }
            catch (Exception e) when (e is ArgumentException or ExtractionException or SynthesisException or IOException)
            {
                await stderr.WriteLineAsync($"finetune synthesize: {e.Message}");
                return e is ArgumentException ? ExitCodes.Usage : ExitCodes.Failed;
            }
        });
        return command;
    }

    private static async Task WriteSummaryAsync(TextWriter output, SynthesisReport report)
    {
        var c = report.Chunks;
        var p = report.Pairs;
        var inv = CultureInfo.InvariantCulture;
        await output.WriteLineAsync(string.Create(inv, $"documents: {string.Join(", ", report.Documents.Select(d => $"{d.File} ({d.Pages} pages, {d.Chunks} chunks)"))}"));
        await output.WriteLineAsync(string.Create(inv, $"chunks:    {c.Total} total, {c.Generated} generated, {c.Resumed} resumed, {c.Failed} failed"));
        await output.WriteLineAsync(string.Create(inv,
            $"calls:     {report.Calls.Requests} requests, {report.Calls.Attempts} attempts, {report.Calls.Retries} retries{Causes(report.Calls.RetriesByCause)}"));
        await output.WriteLineAsync(string.Create(inv,
            $"tokens:    {report.Tokens.PromptThisRun} prompt + {report.Tokens.CompletionThisRun} completion this run ({report.Tokens.PromptAllChunks} + {report.Tokens.CompletionAllChunks} for all chunks)"));
        await output.WriteLineAsync(string.Create(inv, $"pairs:     {p.Generated} generated, {p.Kept} kept, {p.Dropped} dropped{Causes(p.DroppedByReason)}, {p.FlaggedUngrounded} flagged ungrounded"));
        foreach (var failed in c.FailedChunks)
            await output.WriteLineAsync($"failed:    {failed.ChunkId} ({failed.SourceFile} {failed.Pages}): {failed.Error}");
        await output.WriteLineAsync($"wrote {report.Output} (sources: {report.SourcesFile})");
        if (!report.Complete)
            await output.WriteLineAsync("some chunks failed; run the same command again to retry them (finished chunks are not requested again)");
    }

    private static string Causes(IReadOnlyDictionary<string, long> counts) =>
        counts.Count == 0 ? "" : " (" + string.Join(", ", counts.Select(kv => $"{kv.Key}: {kv.Value}")) + ")";
}
