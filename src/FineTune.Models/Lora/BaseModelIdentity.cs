using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Models.Checkpoints;

namespace FineTune.Models.Lora;

/// <summary>
/// The base model an adapter was trained on, written beside the adapter as <c>base_model.json</c> (PEFT ignores the
/// file). Two bases are the same when their architecture (config.json's model_type and shapes) and their weights
/// fingerprint agree. The fingerprint is a SHA-256 over the final norm and the first layer's q_proj weights as
/// float32 values, so a re-sharded or re-saved copy of the same weights matches (a bf16 copy widened to float32
/// too) while a different checkpoint of the same architecture (a base and its instruct tune, two random tiny
/// models) does not. The name is for messages only: the same base is often named differently on two machines.
/// </summary>
public sealed record BaseModelIdentity(
    string Name, string ModelType, int HiddenSize, int IntermediateSize, int Layers, int AttentionHeads, int KeyValueHeads, int VocabSize,
    string? Weights)
{
    public const string FileName = "base_model.json";
    private static readonly string[] FingerprintTensors = ["model.norm.weight", "model.layers.0.self_attn.q_proj.weight"];

    /// <summary>The identity of a Hugging Face model folder (config.json and its safetensors); <paramref name="name"/> defaults to the folder's name.</summary>
    public static BaseModelIdentity Of(string modelDirectory, string? name = null)
    {
        var dir = Path.GetFullPath(modelDirectory);
        var c = ModelConfigJson.Load(dir);
        return new BaseModelIdentity(name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)), c.ModelType, c.HiddenSize,
            c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.VocabSize, Fingerprint(dir));
    }

    /// <summary>Null when <paramref name="other"/> is the same base; otherwise what differs, in words.</summary>
    public string? Difference(BaseModelIdentity other)
    {
        if (Architecture != other.Architecture) return $"{Architecture} vs {other.Architecture}";
        if (Weights is not null && other.Weights is not null && Weights != other.Weights)
            return $"same architecture, different weights (fingerprint {Weights[..12]} vs {other.Weights[..12]})";
        return null;
    }

    public string Architecture =>
        $"{ModelType}, {Layers} layers, hidden {HiddenSize}, intermediate {IntermediateSize}, heads {AttentionHeads}/{KeyValueHeads}, vocab {VocabSize}";

    public override string ToString() => $"{Name} ({Architecture})";

    /// <summary>Writes base_model.json into an adapter folder.</summary>
    public void Save(string adapterDirectory)
    {
        var o = new JsonObject
        {
            ["name"] = Name,
            ["model_type"] = ModelType,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = AttentionHeads,
            ["num_key_value_heads"] = KeyValueHeads,
            ["vocab_size"] = VocabSize,
            ["weights_sha256"] = Weights,
        };
        var tmp = Path.Combine(adapterDirectory, FileName + ".tmp");
        File.WriteAllText(tmp, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, Path.Combine(adapterDirectory, FileName), overwrite: true);
    }

    /// <summary>The base_model.json of an adapter folder; null when it has none (adapters from elsewhere, or trained before it was written).</summary>
    public static BaseModelIdentity? Read(string adapterDirectory)
    {
        var path = Path.Combine(adapterDirectory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path)) is not JsonObject o) throw new InvalidDataException($"{path}: expected a JSON object");
            string Str(string k) => o[k]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: {k} is missing");
            int Int(string k) => o[k]?.GetValue<int>() ?? throw new InvalidDataException($"{path}: {k} is missing");
            return new BaseModelIdentity(Str("name"), Str("model_type"), Int("hidden_size"), Int("intermediate_size"), Int("num_hidden_layers"),
                Int("num_attention_heads"), Int("num_key_value_heads"), Int("vocab_size"), o["weights_sha256"]?.GetValue<string>());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>SHA-256 over each fingerprint tensor's name, shape and float32 values; null when the checkpoint has none of them.</summary>
    private static string? Fingerprint(string modelDirectory)
    {
        using var checkpoint = SafetensorsCheckpoint.Open(modelDirectory);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        bool any = false;
        foreach (var name in FingerprintTensors)
        {
            if (!checkpoint.TryGet(name, out var t)) continue;
            any = true;
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{name}[{string.Join(",", t.Shape)}]"));
            AppendAsFloat32(sha, t);
        }
        return any ? Convert.ToHexStringLower(sha.GetHashAndReset()) : null;
    }

    private static void AppendAsFloat32(IncrementalHash sha, TensorView t)
    {
        var bytes = t.Bytes;
        int size = t.DType.ElementSize();
        if (t.DType is not (SafetensorsDType.BF16 or SafetensorsDType.F16 or SafetensorsDType.F64))
        {
            sha.AppendData(bytes); // float32 already (or an integer type, hashed as stored)
            return;
        }
        Span<byte> buffer = stackalloc byte[4096];
        int filled = 0;
        for (int i = 0; i + size <= bytes.Length; i += size)
        {
            var e = bytes.Slice(i, size);
            float v = t.DType switch
            {
                SafetensorsDType.BF16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(e) << 16),
                SafetensorsDType.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(e),
                _ => (float)BinaryPrimitives.ReadDoubleLittleEndian(e),
            };
            BinaryPrimitives.WriteSingleLittleEndian(buffer[filled..], v);
            filled += 4;
            if (filled == buffer.Length)
            {
                sha.AppendData(buffer);
                filled = 0;
            }
        }
        sha.AppendData(buffer[..filled]);
    }
}
