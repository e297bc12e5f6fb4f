using FineTune.Models.Checkpoints;
using FineTune.Torch;

namespace FineTune.Models.Transformer;

/// <summary>
/// Builds a <see cref="DecoderModel"/> from a Hugging Face folder (config.json + safetensors, single or
/// sharded) or from named tensors. Every expected weight must be present with the shape the config
/// implies; anything unexpected is an error naming it (a wrong architecture must not load silently).
/// </summary>
public static class ModelLoader
{
    /// <summary>Default compute dtype: float32 on CPU, bfloat16 on CUDA.</summary>
    public static DType DefaultDType(Device device) => device.IsCuda ? DType.BFloat16 : DType.Float32;

    public static DecoderModel Load(string directory, Device? device = null, DType? dtype = null)
    {
        var config = ModelConfigJson.Load(Path.Combine(directory, ModelConfigJson.FileName));
        var dev = device ?? Device.Cpu;
        var dt = dtype ?? DefaultDType(dev);
        // The model owns the mapping: float32 weights on CPU are the mapped file itself (no second copy);
        // converted weights leave their pages untouched, which costs address space only.
        var ckpt = SafetensorsCheckpoint.Open(directory);
        try
        {
            return Build(config, ckpt.Names.ToHashSet(StringComparer.Ordinal), name => WeightIO.Load(ckpt[name], dt, dev, out _), dev, dt, ckpt);
        }
        catch
        {
            ckpt.Dispose();
            throw;
        }
    }

    /// <summary>A model over the given tensors (converted to dtype/device when they differ; the model then owns copies).</summary>
    public static DecoderModel FromTensors(ModelConfig config, IReadOnlyDictionary<string, Tensor> weights, Device? device = null, DType? dtype = null)
    {
        var dev = device ?? Device.Cpu;
        var dt = dtype ?? DefaultDType(dev);
        return Build(config, weights.Keys.ToHashSet(StringComparer.Ordinal), name => DisposeScope.Escape(weights[name].To(dev, dt)), dev, dt, null);
    }

    private static DecoderModel Build(ModelConfig c, HashSet<string> available, Func<string, Tensor> get, Device dev, DType dt, IDisposable? owner)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var created = new List<Tensor>();
        var layers = new List<DecoderLayer>();
        Tensor Take(string name, params long[] shape)
        {
            if (!available.Contains(name))
                throw new CheckpointFormatException($"checkpoint lacks '{name}' (expected for {c.ModelType} with {c.NumHiddenLayers} layers)");
            var t = get(name);
            created.Add(t);
            used.Add(name);
            if (!t.Shape.SequenceEqual(shape))
                throw new CheckpointFormatException($"'{name}' has shape [{string.Join(", ", t.Shape)}], config.json implies [{string.Join(", ", shape)}]");
            return t;
        }
        try
        {
            long C = c.HiddenSize, V = c.VocabSize, I = c.IntermediateSize, Q = c.QProjSize, KV = c.KvProjSize;
            var embed = Take("model.embed_tokens.weight", V, C);
            for (int i = 0; i < c.NumHiddenLayers; i++)
            {
                var p = $"model.layers.{i}";
                LoraLinear Lin(string name, long outF, long inF, bool bias) =>
                    new($"{p}.{name}", Take($"{p}.{name}.weight", outF, inF), bias ? Take($"{p}.{name}.bias", outF) : null);
                // Attention and Mlp fuse q/k/v and gate/up into one weight each (FusedLinear); names stay per projection.
                var attn = new Attention(c,
                    Lin("self_attn.q_proj", Q, C, c.QkvBias),
                    Lin("self_attn.k_proj", KV, C, c.QkvBias),
                    Lin("self_attn.v_proj", KV, C, c.QkvBias),
                    Lin("self_attn.o_proj", C, Q, c.OutputProjBias));
                var mlp = new Mlp(
                    Lin("mlp.gate_proj", I, C, c.MlpBias),
                    Lin("mlp.up_proj", I, C, c.MlpBias),
                    Lin("mlp.down_proj", C, I, c.MlpBias));
                layers.Add(new DecoderLayer(Take($"{p}.input_layernorm.weight", C), attn, Take($"{p}.post_attention_layernorm.weight", C), mlp, c.RmsNormEps));
            }
            var norm = Take("model.norm.weight", C);
            Tensor? head = null;
            if (!c.TieWordEmbeddings) head = Take("lm_head.weight", V, C);
            else used.Add("lm_head.weight");   // some tied checkpoints still store it; ignored as transformers does
            var unexpected = available.Where(n => !used.Contains(n) && !n.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)).Order().ToList();
            if (unexpected.Count > 0)
                throw new CheckpointFormatException($"checkpoint has {unexpected.Count} weight(s) a {c.ModelType} model does not use: {string.Join(", ", unexpected.Take(5))}{(unexpected.Count > 5 ? ", …" : "")}");
            return new DecoderModel(c, embed, layers, norm, head, dev, dt, owner);
        }
        catch
        {
            foreach (var l in layers) l.Dispose();
            foreach (var t in created) t.Dispose();
            throw;
        }
    }
}
