using FineTune.Models.Tokenization;

namespace FineTune.Models.Checkpoints;

/// <summary>
/// Named architectures. The tiny ones are for tests and the demo (random weights, the 512-token vocabulary that
/// <see cref="TinyTokenizerBuilder"/> makes); the others copy the Hugging Face config.json they cite.
/// </summary>
public static class ModelPresets
{
    /// <summary>Qwen2 layout (q/k/v bias, GQA 2:1, tied embeddings) at toy size.</summary>
    public static ModelConfig TinyQwen2 { get; } = new ModelConfig
    {
        Family = ModelFamily.Qwen2,
        VocabSize = TinyTokenizerBuilder.VocabSize,
        HiddenSize = 64,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        IntermediateSize = 128,
        RmsNormEps = 1e-6,
        RopeTheta = 1_000_000.0,
        MaxPositionEmbeddings = 512,
        TieWordEmbeddings = true,
        QkvBias = true,
        BosTokenId = TinyTokenizerBuilder.SpecialTokenId(ModelFamily.Qwen2, "<|endoftext|>"),
        EosTokenIds = [TinyTokenizerBuilder.SpecialTokenId(ModelFamily.Qwen2, "<|im_end|>")],
        TorchDtype = "float32",
    }.Validate();

    /// <summary>Llama 3 layout (no biases, GQA 2:1, llama3 rope scaling, untied head, two eos ids) at toy size.</summary>
    public static ModelConfig TinyLlama { get; } = new ModelConfig
    {
        Family = ModelFamily.Llama,
        VocabSize = TinyTokenizerBuilder.VocabSize,
        HiddenSize = 64,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        IntermediateSize = 128,
        RmsNormEps = 1e-5,
        RopeTheta = 500_000.0,
        RopeScaling = new Llama3RopeScaling(8.0, 1.0, 4.0, 256),
        MaxPositionEmbeddings = 512,
        TieWordEmbeddings = false,
        BosTokenId = TinyTokenizerBuilder.SpecialTokenId(ModelFamily.Llama, "<|begin_of_text|>"),
        EosTokenIds =
        [
            TinyTokenizerBuilder.SpecialTokenId(ModelFamily.Llama, "<|end_of_text|>"),
            TinyTokenizerBuilder.SpecialTokenId(ModelFamily.Llama, "<|eot_id|>"),
        ],
        TorchDtype = "float32",
    }.Validate();

    /// <summary>https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct/blob/main/config.json</summary>
    public static ModelConfig Qwen25_05B { get; } = new ModelConfig
    {
        Family = ModelFamily.Qwen2,
        VocabSize = 151936,
        HiddenSize = 896,
        NumHiddenLayers = 24,
        NumAttentionHeads = 14,
        NumKeyValueHeads = 2,
        IntermediateSize = 4864,
        RmsNormEps = 1e-6,
        RopeTheta = 1_000_000.0,
        MaxPositionEmbeddings = 32768,
        TieWordEmbeddings = true,
        QkvBias = true,
        BosTokenId = 151643,
        EosTokenIds = [151645],
        TorchDtype = "bfloat16",
    }.Validate();

    /// <summary>https://huggingface.co/meta-llama/Llama-3.2-1B-Instruct/blob/main/config.json</summary>
    public static ModelConfig Llama32_1B { get; } = new ModelConfig
    {
        Family = ModelFamily.Llama,
        VocabSize = 128256,
        HiddenSize = 2048,
        NumHiddenLayers = 16,
        NumAttentionHeads = 32,
        NumKeyValueHeads = 8,
        HeadDim = 64,
        IntermediateSize = 8192,
        RmsNormEps = 1e-5,
        RopeTheta = 500_000.0,
        RopeScaling = new Llama3RopeScaling(32.0, 1.0, 4.0, 8192),
        MaxPositionEmbeddings = 131072,
        TieWordEmbeddings = true,
        BosTokenId = 128000,
        EosTokenIds = [128001, 128008, 128009],
        TorchDtype = "bfloat16",
    }.Validate();

    public static IReadOnlyDictionary<string, ModelConfig> All { get; } = new Dictionary<string, ModelConfig>
    {
        ["tiny-qwen2"] = TinyQwen2,
        ["tiny-llama"] = TinyLlama,
        ["qwen2.5-0.5b"] = Qwen25_05B,
        ["llama-3.2-1b"] = Llama32_1B,
    };

    public static ModelConfig Get(string name) =>
        All.TryGetValue(name, out var config) ? config
        : throw new ArgumentException($"unknown model preset '{name}' (known: {string.Join(", ", All.Keys)})", nameof(name));
}
