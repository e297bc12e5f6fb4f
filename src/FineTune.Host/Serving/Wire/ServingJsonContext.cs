using System.Text.Json.Serialization;

namespace FineTune.Host.Serving;

/// <summary>Source-generated JSON for the OpenAI-compatible API (snake_case, as OpenAI names its fields).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ChatCompletionBody))]
[JsonSerializable(typeof(ChatCompletionObject))]
[JsonSerializable(typeof(ChunkObject))]
[JsonSerializable(typeof(ChunkWithUsageObject))]
[JsonSerializable(typeof(ModelListObject))]
[JsonSerializable(typeof(ModelObject))]
[JsonSerializable(typeof(ErrorResponseObject))]
internal sealed partial class ServingJsonContext : JsonSerializerContext;
