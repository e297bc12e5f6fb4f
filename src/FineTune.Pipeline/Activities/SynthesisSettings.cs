namespace FineTune.Pipeline.Activities;

/// <summary>
/// The LLM the Synthesize stage asks for Q&amp;A pairs (settings Pipeline__Synthesis__*): any OpenAI-compatible
/// endpoint (OpenAI, Azure OpenAI v1, vLLM, llama.cpp, Ollama). The key is a secret: never logged, never in a status.
/// </summary>
public sealed class SynthesisSettings
{
    /// <summary>e.g. https://api.openai.com/v1/ or http://127.0.0.1:8000/v1/</summary>
    public string? Endpoint { get; set; }
    public string? Model { get; set; }
    public string? ApiKey { get; set; }
    /// <summary>"zh" or "en": the language of the prompt and the generated pairs.</summary>
    public string Language { get; set; } = "en";
    public int QuestionsPerChunk { get; set; } = 10;
    public string SystemPrompt { get; set; } = "You are a helpful assistant that answers questions about the documents you were trained on.";

    public bool Configured => !string.IsNullOrWhiteSpace(Endpoint) && !string.IsNullOrWhiteSpace(Model);
}
