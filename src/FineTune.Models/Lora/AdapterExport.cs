using FineTune.Models.Checkpoints;
using FineTune.Models.Transformer;
using FineTune.Torch;

namespace FineTune.Models.Lora;

/// <summary>
/// Merges a LoRA adapter into its base (W += scaling·B·A, in float32) and writes a Hugging Face checkpoint:
/// sharded safetensors in the base's dtype, config.json, and the tokenizer files, so any HF-compatible
/// runtime loads the tuned model without PEFT.
/// </summary>
public static class AdapterExport
{
    private static readonly string[] CopiedFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "vocab.json", "merges.txt"];

    public static IReadOnlyList<string> Export(string modelDir, string adapterDir, string outDir, long maxShardBytes = 5L << 30)
    {
        if (Path.GetFullPath(modelDir) == Path.GetFullPath(outDir)) throw new ArgumentException("--out must differ from --model");
        using var model = ModelLoader.Load(modelDir, Device.Cpu, DType.Float32);
        using (var adapter = LoraAdapter.Load(adapterDir, model))
        {
            adapter.AttachTo(model);
            foreach (var lin in model.Linears()) lin.MergeAdapter();
        }
        Directory.CreateDirectory(outDir);
        var dtype = DTypeExtensions.Parse(model.Config.TorchDtype);
        var tensors = new List<SafetensorsTensor>();
        foreach (var (name, t) in model.NamedWeights())
        {
            using var converted = t.To(dtype);
            tensors.Add(WeightIO.ToSafetensors(name, converted));
        }
        var written = SafetensorsWriter.WriteSharded(outDir, tensors, maxShardBytes);
        ModelConfigJson.Save(model.Config, outDir);
        foreach (var f in CopiedFiles)
            if (File.Exists(Path.Combine(modelDir, f)))
                File.Copy(Path.Combine(modelDir, f), Path.Combine(outDir, f), overwrite: true);
        return written;
    }
}
