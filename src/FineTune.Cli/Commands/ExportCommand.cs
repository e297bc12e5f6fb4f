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
        var shard = new Option<int>("--max-shard-mb") { Description = "Largest safetensors shard, in MiB.", DefaultValueFactory = _ => 5120 };
        var cmd = new Command("export", "Merge a LoRA adapter into its base and write a Hugging Face checkpoint (sharded safetensors, config, tokenizer).")
            { model, adapter, output, shard };
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(shard) < 1) { Console.Error.WriteLine("finetune export: --max-shard-mb must be >= 1"); return ExitCodes.Usage; }
            Torch.Torch.ConfigureThreads();
            try
            {
                var files = AdapterExport.Export(pr.GetValue(model)!, pr.GetValue(adapter)!, pr.GetValue(output)!, (long)pr.GetValue(shard) << 20);
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
}
