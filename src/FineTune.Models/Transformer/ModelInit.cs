using FineTune.Models.Checkpoints;
using FineTune.Torch;

namespace FineTune.Models.Transformer;

/// <summary>
/// Random Hugging Face-format weights for a config, initialised as transformers does (normal(0, 0.02)
/// for linear and embedding weights, zero biases, unit norms), for tests and demos that cannot download.
/// </summary>
public static class ModelInit
{
    /// <param name="std">Standard deviation of weights (transformers' initializer_range is 0.02).</param>
    /// <param name="perturb">Also randomise norms and biases (parity tests use it so every weight matters).</param>
    /// <param name="embeddingStd">Standard deviation of the embedding and lm_head rows; null uses <paramref name="std"/>.</param>
    public static Dictionary<string, Tensor> RandomWeights(ModelConfig c, ulong seed, double std = 0.02, bool perturb = false, double? embeddingStd = null)
    {
        using var rng = new RandomGenerator(seed);   // its own generator: libtorch's process-wide one is left alone
        var w = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Tensor Randn(params long[] shape) => Tensor.Randn(shape, generator: rng);
        Tensor Normal(params long[] shape) => DisposeScope.Escape(Randn(shape).MulInPlace(std));
        Tensor Norm(long n) => perturb
            ? DisposeScope.Escape(Randn(n).MulInPlace(0.1).Add(1.0))
            : DisposeScope.Escape(Tensor.Ones([n]));
        Tensor Bias(long n) => perturb ? DisposeScope.Escape(Randn(n).MulInPlace(0.1)) : DisposeScope.Escape(Tensor.Zeros([n]));
        using var scope = DisposeScope.Begin();
        long C = c.HiddenSize, V = c.VocabSize, I = c.IntermediateSize, Q = c.QProjSize, KV = c.KvProjSize;
        w["model.embed_tokens.weight"] = DisposeScope.Escape(Randn(V, C).MulInPlace(embeddingStd ?? std));
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            var p = $"model.layers.{i}";
            w[$"{p}.input_layernorm.weight"] = Norm(C);
            w[$"{p}.post_attention_layernorm.weight"] = Norm(C);
            void Lin(string name, long outF, long inF, bool bias)
            {
                w[$"{p}.{name}.weight"] = Normal(outF, inF);
                if (bias) w[$"{p}.{name}.bias"] = Bias(outF);
            }
            Lin("self_attn.q_proj", Q, C, c.QkvBias);
            Lin("self_attn.k_proj", KV, C, c.QkvBias);
            Lin("self_attn.v_proj", KV, C, c.QkvBias);
            Lin("self_attn.o_proj", C, Q, c.OutputProjBias);
            Lin("mlp.gate_proj", I, C, c.MlpBias);
            Lin("mlp.up_proj", I, C, c.MlpBias);
            Lin("mlp.down_proj", C, I, c.MlpBias);
        }
        w["model.norm.weight"] = Norm(C);
        if (!c.TieWordEmbeddings) w["lm_head.weight"] = DisposeScope.Escape(Randn(V, C).MulInPlace(embeddingStd ?? std));
        return w;
    }

    /// <summary>Writes config.json and model.safetensors (sharded when over <paramref name="maxShardBytes"/>) into <paramref name="directory"/>.</summary>
    public static void Save(string directory, ModelConfig config, IReadOnlyDictionary<string, Tensor> weights, DType? dtype = null, long maxShardBytes = 5L << 30)
    {
        Directory.CreateDirectory(directory);
        var dt = dtype ?? DTypeExtensions.Parse(config.TorchDtype);
        var tensors = new List<SafetensorsTensor>();
        foreach (var (name, t) in weights.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            using var converted = t.To(Device.Cpu, dt);
            tensors.Add(WeightIO.ToSafetensors(name, converted));
        }
        SafetensorsWriter.WriteSharded(directory, tensors, maxShardBytes);
        ModelConfigJson.Save(config with { TorchDtype = dt.Name() }, directory);
    }
}

/// <summary>`finetune model init`: a complete random Hugging Face model folder (config, weights, tokenizer).</summary>
public static class ModelFolder
{
    /// <summary>
    /// Writes a random model of <paramref name="config"/>'s architecture. Without <paramref name="tokenizerDir"/>
    /// the family's tiny byte-level BPE (512 tokens) is built; with it, that tokenizer's files are copied and
    /// the vocabulary, bos and eos follow it.
    /// </summary>
    public static ModelConfig Create(string directory, ModelConfig config, ulong seed = 0, string? tokenizerDir = null)
    {
        Directory.CreateDirectory(directory);
        if (tokenizerDir is null)
        {
            Tokenization.TinyTokenizerBuilder.Write(config.Family, directory);
        }
        else
        {
            foreach (var name in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json" })
            {
                var src = Path.Combine(tokenizerDir, name);
                if (File.Exists(src)) File.Copy(src, Path.Combine(directory, name), overwrite: true);
                else if (name is "tokenizer.json") throw new FileNotFoundException($"{tokenizerDir} has no tokenizer.json", src);
            }
            var tok = Tokenization.Tokenizer.Load(directory);
            var eos = new[] { tok.EosTokenId, tok.TokenToId("<|im_end|>"), tok.TokenToId("<|eot_id|>") }
                .Where(x => x is not null).Select(x => x!.Value).Distinct().ToArray();
            config = config with { VocabSize = tok.VocabSize, BosTokenId = tok.BosTokenId, EosTokenIds = eos };
            config.Validate();
        }
        // Scaled like a trained network rather than a fresh one: projections at 1/√hidden so every layer
        // contributes, embeddings with row norm ≈ √hidden / 2. With transformers' 0.02 everywhere the layers
        // are near-identity, the frozen vocabulary projection caps logits near 1, and no LoRA adapter can
        // fit even 20 examples (measured: loss stuck at 5.3 of ln 512 = 6.2).
        var weights = ModelInit.RandomWeights(config, seed, std: 1 / Math.Sqrt(config.HiddenSize), embeddingStd: 0.5);
        try { ModelInit.Save(directory, config, weights); }
        finally { foreach (var t in weights.Values) t.Dispose(); }
        return config;
    }
}
