using System.CommandLine;
using FineTune.Host.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune serve`: the event pipeline host — the Durable worker and its sidecar, the drop folders and uploads scan, the job
/// API, OpenAI-compatible serving — on the embedded Azurite (started under --data-dir) or on Azure Storage.
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Data folder: drop files into DIR/uploads/ (DIR/datasets/, DIR/models/ go to their containers); without --storage the embedded Azurite keeps its data in DIR/.azurite. Default: ./.data" };
        var storage = new Option<string?>("--storage") { Description = "Azure Storage connection string, or an account URL (https://NAME.blob.core.windows.net) used with DefaultAzureCredential" };
        var urls = new Option<string?>("--urls") { Description = "Listen URLs, ';'-separated. Default: http://127.0.0.1:7071" };
        var scriptRoot = new Option<string?>("--script-root") { Description = "Folder holding host.json and local.settings.json. Default: the current folder" };
        // --- OpenAI-compatible serving (src/FineTune.Host/Serving): options ---
        var model = new Option<string?>("--model") { Description = "Also serve this Hugging Face model folder at /v1/models and /v1/chat/completions" };
        var adapters = new Option<string?>("--adapters") { Description = "Folder of LoRA adapters served with --model: each subfolder is a model id, its checkpoints/epoch-N are ID:ckpt-epoch-N" };
        var maxAdapters = new Option<int>("--max-adapters") { Description = "Adapters kept in memory with --model; the least recently used are unloaded. Default: 8", DefaultValueFactory = _ => 8 };
        var command = new Command("serve", "Run the pipeline host: Durable worker, drop-zone triggers, job API, serving.");
        command.Options.Add(dataDir);
        command.Options.Add(storage);
        command.Options.Add(urls);
        command.Options.Add(scriptRoot);
        command.Options.Add(model);
        command.Options.Add(adapters);
        command.Options.Add(maxAdapters);
        command.SetAction(async (ParseResult parsed, CancellationToken ct) =>
        {
            HostSettings settings;
            try
            {
                settings = HostSettingsLoader.Load(parsed.GetValue(dataDir), parsed.GetValue(storage), parsed.GetValue(urls),
                    Path.GetFullPath(parsed.GetValue(scriptRoot) ?? Directory.GetCurrentDirectory()));
                await using var host = await FineTuneHost.BuildAsync(settings, ServeModel(parsed.GetValue(model), parsed.GetValue(adapters), parsed.GetValue(maxAdapters)), ct);
                await host.StartAsync(ct);
                Console.Error.WriteLine($"finetune serve: listening on {string.Join(", ", host.Urls)}; storage: {host.Storage.Description}");
                await host.App.WaitForShutdownAsync(ct);
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or InvalidDataException)
            {
                Console.Error.WriteLine($"finetune serve: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }

    // --- OpenAI-compatible serving (src/FineTune.Host/Serving): registration when --model is given ---
    private static Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? ServeModel(string? model, string? adapters, int maxAdapters)
    {
        if (model is null)
            return adapters is null ? null : throw new ArgumentException("--adapters needs --model (the base model the adapters were trained on)");
        var options = new FineTune.Host.Serving.ServingOptions { ModelDirectory = model, AdaptersDirectory = adapters, MaxLoadedAdapters = maxAdapters };
        return builder =>
        {
            // The served base model is one a job may name.
            builder.Services.PostConfigure<FineTune.Pipeline.PipelineOptions>(o => o.ModelRoots.Add(Path.GetFullPath(model)));
            FineTune.Torch.LibTorch.ConfigureThreads();
            try { FineTune.Host.Serving.ServingServices.AddFineTuneServing(builder.Services, options); }
            catch (Exception e) when (e is IOException or FineTune.Models.Checkpoints.CheckpointFormatException or FineTune.Models.Tokenization.TokenizerFormatException or FineTune.Models.Chat.ChatTemplateException)
            {
                throw new InvalidOperationException($"--model {model}: {e.Message}", e);
            }
        };
    }
}
