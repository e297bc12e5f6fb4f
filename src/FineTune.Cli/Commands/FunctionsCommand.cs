using System.CommandLine;
using System.IO.Compression;
using System.Text.Json.Nodes;
using FineTune.Host.Functions;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune functions pack --out DIR [--zip]`: lays out an Azure Functions custom-handler app (host.json, one folder
/// per function with its function.json, local.settings.json) with this published `finetune` in DIR/bin, ready for
/// `func start` in DIR or zip deploy of DIR.zip.
/// </summary>
public static class FunctionsCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder to write the app into", Required = true };
        var hostJson = new Option<string?>("--host-json") { Description = "host.json to start from (default: ./host.json if present, else built-in)" };
        var zip = new Option<bool>("--zip") { Description = "Also write DIR.zip for zip deploy" };
        var pack = new Command("pack", "Lay out a Functions custom-handler app around this executable.");
        pack.Options.Add(output);
        pack.Options.Add(hostJson);
        pack.Options.Add(zip);
        pack.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            var dir = Path.GetFullPath(pr.GetValue(output)!);
            var template = pr.GetValue(hostJson) ?? (File.Exists("host.json") ? "host.json" : null);
            JsonObject baseHost;
            try
            {
                baseHost = template is null ? FunctionsApp.DefaultHostJson() : JsonNode.Parse(File.ReadAllText(template)) as JsonObject
                    ?? throw new InvalidDataException($"{template} is not a JSON object");
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException)
            {
                Console.Error.WriteLine($"finetune functions pack: {e.Message}");
                return Task.FromResult(ExitCodes.Usage);
            }
            // The published app: everything next to this finetune.dll.
            var bin = Path.Combine(dir, "bin");
            Directory.CreateDirectory(bin);
            foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(bin, Path.GetRelativePath(AppContext.BaseDirectory, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target, overwrite: true);
            }
            var apphost = OperatingSystem.IsWindows() ? "finetune.exe" : "finetune";
            var (exe, args) = File.Exists(Path.Combine(bin, apphost)) ? ($"bin/{apphost}", new[] { "serve" }) : ("dotnet", new[] { "bin/finetune.dll", "serve" });
            FunctionsApp.Write(dir, FunctionsApp.HostJson(baseHost, exe, args));
            if (pr.GetValue(zip))
            {
                var archive = dir.TrimEnd(Path.DirectorySeparatorChar) + ".zip";
                File.Delete(archive);
                ZipFile.CreateFromDirectory(dir, archive);
                Console.WriteLine(archive);
            }
            Console.WriteLine($"{dir}: host.json, {string.Join(", ", FunctionsApp.FunctionJson().Keys)}, bin/ (run `func start` there)");
            return Task.FromResult(ExitCodes.Ok);
        });
        var functions = new Command("functions", "Azure Functions packaging (custom handler).");
        functions.Subcommands.Add(pack);
        return functions;
    }
}
