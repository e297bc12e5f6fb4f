using System.Text.Json;
using FineTune.Models.Checkpoints;
using FineTune.Models.Lora;
using FineTune.Models.Transformer;
using FineTune.Torch;
using FineTune.Training.Contract;

namespace FineTune.Training;

/// <summary>What a checkpoint records besides tensors: where the run stands.</summary>
public sealed record TrainerState(int Epoch, int Step, long OptimizerSteps, long Tokens, long LabelTokens, double ElapsedSeconds, double LastLoss, List<EpochMetrics> History);

/// <summary>
/// End-of-epoch checkpoints: <c>checkpoints/epoch-N/</c> holds the adapter (PEFT format, loadable and
/// servable on its own), the optimizer moments, the RNG state and <c>trainer_state.json</c>. Written to a
/// temporary folder and renamed, so a crash leaves either a whole checkpoint or none.
/// </summary>
public static class TrainingCheckpoint
{
    public static string Folder(string output, int epoch) => Path.Combine(output, "checkpoints", $"epoch-{epoch}");

    public static string Save(string output, int epoch, LoraAdapter adapter, AdamW optimizer, TrainerState state, string specJson)
    {
        var final = Folder(output, epoch);
        var tmp = final + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        adapter.Save(tmp);
        SafetensorsWriter.Write(Path.Combine(tmp, "optimizer.safetensors"),
            optimizer.ExportState().Select(s => WeightIO.ToSafetensors(s.Name, s.Tensor)).ToList());
        using (var rng = LibTorch.GetRngState())
            File.WriteAllBytes(Path.Combine(tmp, "rng_state.bin"), rng.ToArray<byte>());
        File.WriteAllText(Path.Combine(tmp, "trainer_state.json"), JsonSerializer.Serialize(state, RunContractJson.Indented.TrainerState));
        File.WriteAllText(Path.Combine(tmp, "training_spec.json"), specJson);
        if (Directory.Exists(final)) Directory.Delete(final, true);
        Directory.Move(tmp, final);
        return final;
    }

    /// <summary>The newest complete checkpoint's epoch, or null.</summary>
    public static int? Latest(string output)
    {
        var dir = Path.Combine(output, "checkpoints");
        if (!Directory.Exists(dir)) return null;
        return Directory.GetDirectories(dir, "epoch-*")
            .Select(d => Path.GetFileName(d)!)
            .Where(n => !n.EndsWith(".tmp", StringComparison.Ordinal) && File.Exists(Path.Combine(dir, n, "trainer_state.json")))
            .Select(n => int.TryParse(n["epoch-".Length..], out var e) ? e : (int?)null)
            .Where(e => e is not null)
            .Max();
    }

    /// <summary>
    /// Restores adapter values, optimizer moments and, with <paramref name="restoreRng"/>, libtorch's process-wide generator
    /// (what an exact resume needs; the trainer passes TrainingSpec.SeedGlobalRng); returns the saved state.
    /// </summary>
    public static TrainerState Restore(string output, int epoch, DecoderModel model, LoraAdapter adapter, AdamW optimizer, bool restoreRng = true)
    {
        var dir = Folder(output, epoch);
        var state = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(dir, "trainer_state.json")), RunContractJson.Indented.TrainerState)
            ?? throw new InvalidDataException($"{dir}: empty trainer_state.json");
        using (var saved = LoraAdapter.Load(dir, model))
            adapter.CopyFrom(saved);
        var moments = WeightIO.ReadAll(Path.Combine(dir, "optimizer.safetensors"));
        try { optimizer.ImportState(moments, state.OptimizerSteps); }
        finally { foreach (var t in moments.Values) t.Dispose(); }
        if (restoreRng)
        {
            var rngBytes = File.ReadAllBytes(Path.Combine(dir, "rng_state.bin"));
            using var rng = Tensor.From(rngBytes);
            LibTorch.SetRngState(rng);
        }
        return state;
    }
}
