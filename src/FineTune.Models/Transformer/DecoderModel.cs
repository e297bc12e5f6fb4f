// The Llama / Qwen2 decoder-only transformer, top to bottom in the order data flows:
// rotary embeddings → attention → MLP → decoder layer → model. It follows Hugging Face's
// modeling_llama.py / modeling_qwen2.py so checkpoints load with their own names and the logits match.
// Shapes: B batch, T new positions, S all positions (cache + new), C hidden, nh / nkv query / key-value
// heads, hs head size, V vocabulary.
using FineTune.Models.Checkpoints;
using FineTune.Torch;

namespace FineTune.Models.Transformer;

/// <summary>Rotary position embeddings (RoPE), incl. Llama 3's frequency scaling.</summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _invFreq;   // (hs/2) float32

    public RotaryEmbedding(ModelConfig config, Device device)
    {
        int dim = config.HeadDim;
        var inv = new float[dim / 2];
        for (int i = 0; i < inv.Length; i++)
            inv[i] = (float)(1.0 / Math.Pow(config.RopeTheta, (float)(2 * i) / dim));
        if (config.RopeScaling is { } s) inv = Llama3Scale(inv, s);
        using var cpu = Tensor.From(inv);
        _invFreq = DisposeScope.Escape(cpu.To(device));
    }

    // Llama 3.1: long wavelengths divided by `factor`, short kept, the band between blended.
    private static float[] Llama3Scale(float[] inv, Llama3RopeScaling s)
    {
        double lowWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        double highWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        var result = new float[inv.Length];
        for (int i = 0; i < inv.Length; i++)
        {
            double f = inv[i], wavelen = 2 * Math.PI / f;
            if (wavelen < highWavelen) result[i] = (float)f;
            else if (wavelen > lowWavelen) result[i] = (float)(f / s.Factor);
            else
            {
                double smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                result[i] = (float)((1 - smooth) * f / s.Factor + smooth * f);
            }
        }
        return result;
    }

    /// <summary>cos, sin of shape (B, 1, T, hs) for int64 positions (B, T), in <paramref name="dtype"/>.</summary>
    public (Tensor Cos, Tensor Sin) Compute(Tensor positions, DType dtype)
    {
        var freqs = positions.To(_invFreq.DType).Unsqueeze(-1) * _invFreq;  // (B, T, hs/2)
        var emb = Tensor.Cat([freqs, freqs], -1).Unsqueeze(1);               // (B, 1, T, hs)
        return (emb.Cos().To(dtype), emb.Sin().To(dtype));
    }

    /// <summary>x·cos + rotate_half(x)·sin, with rotate_half(x) = (−x₂, x₁).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin) => Functional.Rope(x, cos, sin);

    public void Dispose() => _invFreq.Dispose();
}

/// <summary>Grouped-query self-attention with rotary positions.</summary>
public sealed class Attention : IDisposable
{
    private readonly ModelConfig _c;

    /// <summary>q, k and v are fused into one matmul (<see cref="FusedLinear"/>); each keeps its name and adapter.</summary>
    public Attention(ModelConfig config, LoraLinear q, LoraLinear k, LoraLinear v, LoraLinear o)
    {
        _c = config;
        QkvProj = new FusedLinear([q, k, v]);
        QProj = q;
        KProj = k;
        VProj = v;
        OProj = o;
    }

    /// <summary>q, k, v as one weight (nh·hs + 2·nkv·hs, C); the three below are its row slices.</summary>
    public FusedLinear QkvProj { get; }
    public LoraLinear QProj { get; }
    public LoraLinear KProj { get; }
    public LoraLinear VProj { get; }
    public LoraLinear OProj { get; }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, int layer)
    {
        long B = x.Size(0), T = x.Size(1);
        int nh = _c.NumAttentionHeads, nkv = _c.NumKeyValueHeads, hs = _c.HeadDim;
        var qkv = QkvProj.Forward(x);                                    // (B, T, (nh + 2·nkv)·hs)
        var parts = QkvProj.Split(qkv);
        var q = parts[0].View(B, T, nh, hs).Transpose(1, 2);              // (B, nh, T, hs)
        var k = parts[1].View(B, T, nkv, hs).Transpose(1, 2);             // (B, nkv, T, hs)
        var v = parts[2].View(B, T, nkv, hs).Transpose(1, 2);             // (B, nkv, T, hs)
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);      // (B, nkv, S, hs)
        var y = Functional.ScaledDotProductAttention(q, k, v, mask, causal: true);   // (B, nh, T, hs)
        y = y.Transpose(1, 2).Reshape(B, T, nh * hs);                    // (B, T, nh·hs)
        return OProj.Forward(y);                                         // (B, T, C)
    }

    public void Dispose()
    {
        QkvProj.Dispose();
        OProj.Dispose();
    }
}

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) · up(x)), gate and up fused into one matmul.</summary>
public sealed class Mlp(LoraLinear gate, LoraLinear up, LoraLinear down) : IDisposable
{
    /// <summary>gate and up as one weight (2·I, C); the two below are its row slices.</summary>
    public FusedLinear GateUpProj { get; } = new([gate, up]);
    public LoraLinear GateProj { get; } = gate;
    public LoraLinear UpProj { get; } = up;
    public LoraLinear DownProj { get; } = down;

    public Tensor Forward(Tensor x)
    {
        var gateUp = GateUpProj.Split(GateUpProj.Forward(x));                   // (B, T, I) twice
        return DownProj.Forward(Functional.SiluMul(gateUp[0], gateUp[1]));
    }

    public void Dispose()
    {
        GateUpProj.Dispose();
        DownProj.Dispose();
    }
}

/// <summary>Pre-norm block: x + attn(norm(x)), then x + mlp(norm(x)).</summary>
public sealed class DecoderLayer(Tensor inputNorm, Attention attention, Tensor postNorm, Mlp mlp, double eps) : IDisposable
{
    public Attention SelfAttn { get; } = attention;
    public Mlp Mlp { get; } = mlp;
    public Tensor InputLayerNorm { get; } = inputNorm;
    public Tensor PostAttentionLayerNorm { get; } = postNorm;

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, int layer)
    {
        var h = x + SelfAttn.Forward(Functional.RmsNorm(x, InputLayerNorm, eps), cos, sin, mask, cache, layer);
        return h + Mlp.Forward(Functional.RmsNorm(h, PostAttentionLayerNorm, eps));
    }

    public void Dispose()
    {
        SelfAttn.Dispose();
        Mlp.Dispose();
        InputLayerNorm.Dispose();
        PostAttentionLayerNorm.Dispose();
    }
}

/// <summary>
/// The whole model. Weights use Hugging Face's names (<c>model.layers.0.self_attn.q_proj.weight</c>, …);
/// build one with <see cref="ModelLoader"/>. Base weights never require grad; LoRA adapters attach to
/// the <see cref="Linears"/>.
/// </summary>
public sealed class DecoderModel : IDisposable
{
    private readonly IDisposable? _weightsOwner;

    internal DecoderModel(ModelConfig config, Tensor embedTokens, IReadOnlyList<DecoderLayer> layers, Tensor norm, Tensor? lmHead,
        Device device, DType dtype, IDisposable? weightsOwner)
    {
        Config = config;
        EmbedTokens = embedTokens;
        Layers = layers;
        Norm = norm;
        LmHead = lmHead;
        Device = device;
        DType = dtype;
        Rotary = new RotaryEmbedding(config, device);
        _weightsOwner = weightsOwner;
    }

    public ModelConfig Config { get; }
    public Device Device { get; }
    /// <summary>The compute dtype of the base weights (float32 on CPU, bfloat16 on CUDA by default).</summary>
    public DType DType { get; }
    public Tensor EmbedTokens { get; }                 // (V, C)
    public IReadOnlyList<DecoderLayer> Layers { get; }
    public Tensor Norm { get; }                        // (C)
    /// <summary>Null when tied to <see cref="EmbedTokens"/>.</summary>
    public Tensor? LmHead { get; }                     // (V, C)
    public RotaryEmbedding Rotary { get; }

    /// <summary>Every projection that can carry a LoRA adapter, with its module path.</summary>
    public IEnumerable<LoraLinear> Linears()
    {
        foreach (var l in Layers)
        {
            yield return l.SelfAttn.QProj;
            yield return l.SelfAttn.KProj;
            yield return l.SelfAttn.VProj;
            yield return l.SelfAttn.OProj;
            yield return l.Mlp.GateProj;
            yield return l.Mlp.UpProj;
            yield return l.Mlp.DownProj;
        }
    }

    /// <summary>Base weights by Hugging Face name (tied lm_head omitted, as transformers saves it).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedWeights()
    {
        yield return ("model.embed_tokens.weight", EmbedTokens);
        for (int i = 0; i < Layers.Count; i++)
        {
            var l = Layers[i];
            yield return ($"model.layers.{i}.input_layernorm.weight", l.InputLayerNorm);
            yield return ($"model.layers.{i}.post_attention_layernorm.weight", l.PostAttentionLayerNorm);
        }
        foreach (var lin in Linears())
        {
            yield return ($"{lin.Name}.weight", lin.Weight);
            if (lin.Bias is not null) yield return ($"{lin.Name}.bias", lin.Bias);
        }
        yield return ("model.norm.weight", Norm);
        if (LmHead is not null) yield return ("lm_head.weight", LmHead);
    }

    /// <summary>Sets dropout mode on every adapter.</summary>
    public void SetTraining(bool training)
    {
        foreach (var l in Linears()) l.Training = training;
    }

    /// <summary>
    /// Logits (B, T, V) for token ids (B, T). <paramref name="positions"/> (B, T) default to the cache
    /// length + 0..T-1. <paramref name="attentionMask"/>: bool (B, 1, T, S) of keys each query may see on
    /// top of causality (padding); null when every position is real.
    /// </summary>
    public Tensor Forward(Tensor ids, KvCache? cache = null, Tensor? positions = null, Tensor? attentionMask = null) =>
        LmHeadForward(Hidden(ids, cache, positions, attentionMask));

    /// <summary>The final normed hidden states (B, T, C), before the vocabulary projection.</summary>
    public Tensor Hidden(Tensor ids, KvCache? cache = null, Tensor? positions = null, Tensor? attentionMask = null)
    {
        long B = ids.Size(0), T = ids.Size(1);
        long past = cache?.Length ?? 0;
        positions ??= Tensor.Arange(past, past + T, 1, DType.Int64, Device).Unsqueeze(0).Expand(B, T);
        var (cos, sin) = Rotary.Compute(positions, DType);
        var h = Functional.Embedding(EmbedTokens, ids);                      // (B, T, C)
        for (int i = 0; i < Layers.Count; i++)
            h = Layers[i].Forward(h, cos, sin, attentionMask, cache, i);
        cache?.Advance(T);
        return Functional.RmsNorm(h, Norm, Config.RmsNormEps);               // (B, T, C)
    }

    /// <summary>hidden (…, C) → logits (…, V).</summary>
    public Tensor LmHeadForward(Tensor hidden) => Functional.Linear(hidden, LmHead ?? EmbedTokens);

    /// <summary>A cache for <paramref name="batch"/> sequences of up to <paramref name="capacity"/> positions.</summary>
    public KvCache NewCache(long batch, long capacity) =>
        new(Config.NumHiddenLayers, batch, Config.NumKeyValueHeads, capacity, Config.HeadDim, DType, Device);

    public void Dispose()
    {
        foreach (var l in Layers) l.Dispose();
        EmbedTokens.Dispose();
        Norm.Dispose();
        LmHead?.Dispose();
        Rotary.Dispose();
        _weightsOwner?.Dispose();
    }
}
