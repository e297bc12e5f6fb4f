namespace FineTune.Models.Checkpoints;

/// <summary>
/// The architecture of a Llama/Qwen2 decoder, as Hugging Face's config.json describes it: one immutable value.
/// Fields left at 0 take their Hugging Face default (<see cref="HeadDim"/> = hidden/heads,
/// <see cref="NumKeyValueHeads"/> = heads); <see cref="Validate"/> checks every invariant the engine relies on and is
/// called by every way of building one (<see cref="ModelConfigJson"/>, <see cref="ModelPresets"/>).
/// </summary>
public sealed record ModelConfig
{
    private readonly int _headDim;
    private readonly int _numKeyValueHeads;

    public required ModelFamily Family { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }

    /// <summary>Grouped-query attention: each K/V head serves <see cref="QueryGroupSize"/> query heads.</summary>
    public int NumKeyValueHeads { get => _numKeyValueHeads != 0 ? _numKeyValueHeads : NumAttentionHeads; init => _numKeyValueHeads = value; }

    /// <summary>Per-head width; Hugging Face's default is hidden_size / num_attention_heads.</summary>
    public int HeadDim { get => _headDim != 0 ? _headDim : (NumAttentionHeads > 0 ? HiddenSize / NumAttentionHeads : 0); init => _headDim = value; }

    public required int IntermediateSize { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000.0;
    public Llama3RopeScaling? RopeScaling { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Bias on q_proj, k_proj, v_proj (always on for qwen2; llama's <c>attention_bias</c>).</summary>
    public bool QkvBias { get; init; }

    /// <summary>Bias on o_proj (llama's <c>attention_bias</c> covers it too; never for qwen2).</summary>
    public bool OutputProjBias { get; init; }

    /// <summary>Bias on gate/up/down_proj (llama's <c>mlp_bias</c>).</summary>
    public bool MlpBias { get; init; }

    public int? BosTokenId { get; init; }

    /// <summary>config.json's <c>eos_token_id</c>, an int or a list (Llama 3.1 stops on several).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>The dtype the weights were saved in ("bfloat16", "float32", …), as written in config.json.</summary>
    public string TorchDtype { get; init; } = "float32";

    // ---- derived ----

    public int QueryGroupSize => NumAttentionHeads / NumKeyValueHeads;
    public int QProjSize => NumAttentionHeads * HeadDim;
    public int KvProjSize => NumKeyValueHeads * HeadDim;
    public string ModelType => Family.ToModelType();

    /// <summary>Value equality over the resolved fields (defaults applied, eos ids compared element-wise).</summary>
    public bool Equals(ModelConfig? other) =>
        other is not null && Family == other.Family && VocabSize == other.VocabSize && HiddenSize == other.HiddenSize
        && NumHiddenLayers == other.NumHiddenLayers && NumAttentionHeads == other.NumAttentionHeads
        && NumKeyValueHeads == other.NumKeyValueHeads && HeadDim == other.HeadDim && IntermediateSize == other.IntermediateSize
        && RmsNormEps == other.RmsNormEps && RopeTheta == other.RopeTheta && Equals(RopeScaling, other.RopeScaling)
        && MaxPositionEmbeddings == other.MaxPositionEmbeddings && TieWordEmbeddings == other.TieWordEmbeddings
        && QkvBias == other.QkvBias && OutputProjBias == other.OutputProjBias && MlpBias == other.MlpBias
        && BosTokenId == other.BosTokenId && EosTokenIds.SequenceEqual(other.EosTokenIds) && TorchDtype == other.TorchDtype;

    public override int GetHashCode() => HashCode.Combine(Family, VocabSize, HiddenSize, NumHiddenLayers, NumAttentionHeads, HeadDim, IntermediateSize);

    /// <summary>Throws <see cref="CheckpointFormatException"/> naming the first broken invariant; returns this.</summary>
    public ModelConfig Validate()
    {
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(HeadDim, "head_dim");
        Positive(IntermediateSize, "intermediate_size");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (_headDim == 0 && HiddenSize % NumAttentionHeads != 0)
            Fail($"hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads} (and no head_dim is given)");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            Fail($"num_attention_heads {NumAttentionHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads}");
        if (HeadDim % 2 != 0)
            Fail($"head_dim {HeadDim} must be even for rotary embeddings");
        if (!(RmsNormEps > 0)) Fail($"rms_norm_eps must be > 0, got {RmsNormEps}");
        if (!(RopeTheta > 0)) Fail($"rope_theta must be > 0, got {RopeTheta}");
        RopeScaling?.Validate();
        if (Family == ModelFamily.Qwen2 && (!QkvBias || OutputProjBias || MlpBias))
            Fail("qwen2 has biases on q/k/v only (QkvBias=true, OutputProjBias=false, MlpBias=false)");
        if (BosTokenId is int bos && (bos < 0 || bos >= VocabSize))
            Fail($"bos_token_id {bos} is outside the vocabulary (vocab_size {VocabSize})");
        foreach (var eos in EosTokenIds)
            if (eos < 0 || eos >= VocabSize)
                Fail($"eos_token_id {eos} is outside the vocabulary (vocab_size {VocabSize})");
        if (TorchDtype is not ("float32" or "bfloat16" or "float16"))
            Fail($"torch_dtype '{TorchDtype}' is not supported (float32, bfloat16, float16)");
        return this;
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0) Fail($"{name} must be > 0, got {value}");
    }

    private static void Fail(string message) => throw new CheckpointFormatException("config.json: " + message);
}
