namespace FineTune.Models.Checkpoints;

/// <summary>The decoder families the engine implements; the value is config.json's <c>model_type</c>.</summary>
public enum ModelFamily
{
    /// <summary><c>model_type: "llama"</c> (Llama 2/3, TinyLlama, …).</summary>
    Llama,

    /// <summary><c>model_type: "qwen2"</c> (Qwen2, Qwen2.5): Llama with q/k/v biases.</summary>
    Qwen2,
}

public static class ModelFamilyNames
{
    public static string ToModelType(this ModelFamily family) => family switch
    {
        ModelFamily.Llama => "llama",
        ModelFamily.Qwen2 => "qwen2",
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "unknown model family"),
    };

    public static ModelFamily Parse(string modelType) => modelType switch
    {
        "llama" => ModelFamily.Llama,
        "qwen2" => ModelFamily.Qwen2,
        _ => throw new CheckpointFormatException(
            $"config.json: model_type '{modelType}' is not supported (supported: llama, qwen2)"),
    };
}
