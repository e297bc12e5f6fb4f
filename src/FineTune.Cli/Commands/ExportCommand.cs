using FineTune.Torch;
using System.CommandLine;
using FineTune.Models.Lora;

namespace FineTune.Cli.Commands;

/// <summary>`finetune export`: base + adapter merged into a plain Hugging Face checkpoint.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Base model folder.", Required = true };
        var adapter = new Option<string>("--adapter") { Description = "LoRA adapter folder (PEFT format).", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for the merged checkpoint.", Required = true };
        var shard = new Option<string>("--max-shard-size") { Description = "Largest safetensors shard, as transformers writes it: 5GB, 500MB, 200KB (decimal) or GiB/MiB/KiB.", DefaultValueFactory = _ => "5GB" };
        var cmd = new Command("export", "Merge a LoRA adapter into its base and write a Hugging Face checkpoint (sharded safetensors, config, tokenizer).")
            { model, adapter, output, shard };
        cmd.SetAction(pr =>
        {
            if (ParseSize(pr.GetValue(shard)!) is not long maxShard || maxShard < 1)
            {
                Console.Error.WriteLine($"finetune export: --max-shard-size '{pr.GetValue(shard)}' is not a size such as 5GB or 500MB");
                return ExitCodes.Usage;
            }
            LibTorch.ConfigureThreads();
            try
            {
                var files = AdapterExport.Export(pr.GetValue(model)!, pr.GetValue(adapter)!, pr.GetValue(output)!, maxShard);
                Console.WriteLine($"export: wrote {files.Count} safetensors file(s) to {Path.GetFullPath(pr.GetValue(output)!)}");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or Models.Checkpoints.CheckpointFormatException)
            {
                Console.Error.WriteLine($"finetune export: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"finetune export: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        return cmd;
    }

    /// <summary>"5GB" → 5·10⁹, "2GiB" → 2·2³⁰, "100" → 100 bytes; null when unreadable.</summary>
    public static long? ParseSize(string text)
    {
        var t = text.Trim().ToUpperInvariant();
        var digits = new string(t.TakeWhile(c => char.IsDigit(c) || c == '.').ToArray());
        if (!double.TryParse(digits, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n)) return null;
        double factor = t[digits.Length..].Trim() switch
        {
            "" or "B" => 1, "KB" => 1e3, "MB" => 1e6, "GB" => 1e9, "KIB" => 1 << 10, "MIB" => 1 << 20, "GIB" => 1 << 30,
            _ => double.NaN,
        };
        return double.IsNaN(factor) ? null : (long)(n * factor);
    }
}
