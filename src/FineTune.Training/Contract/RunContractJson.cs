using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using FineTune.Training.Evaluation;

namespace FineTune.Training.Contract;

/// <summary>
/// The JSON of every file and line the pipeline and the trainer/evaluator exchange (specs, progress, metrics, exit records)
/// and of the trainer's own files (training_spec.json, trainer_state.json, result.json): snake_case, null fields left out,
/// unknown fields an error. Source-generated, so both sides read and write the same shapes without reflection.
/// A property whose initial value is not default(T) is <c>set</c>, not <c>init</c>: the generator assigns init-only properties
/// in the object initializer, default(T) when the JSON has none, which would lose the initial value (RunContractTests checks).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TrainingRunSpec))]
[JsonSerializable(typeof(EvaluationRunSpec))]
[JsonSerializable(typeof(RunProgress))]
[JsonSerializable(typeof(RunExit))]
[JsonSerializable(typeof(StepMetrics))]
[JsonSerializable(typeof(EpochMetrics))]
[JsonSerializable(typeof(TrainingSpec))]
[JsonSerializable(typeof(TrainerState))]
[JsonSerializable(typeof(TrainingResult))]
public sealed partial class RunContractJson : JsonSerializerContext
{
    /// <summary>The same shapes, indented: files people read (specs, result.json, checkpoints' state).</summary>
    public static RunContractJson Indented => s_indented ??= new(new JsonSerializerOptions(Default.Options) { WriteIndented = true });

    private static RunContractJson? s_indented;

    /// <summary>
    /// <paramref name="text"/> as a <typeparamref name="T"/>; <see cref="InvalidDataException"/> naming <paramref name="source"/> and
    /// the problem (an unknown field, a missing required one, a wrong type) when it does not match the contract.
    /// </summary>
    public static T Read<T>(string text, JsonTypeInfo<T> type, string source)
    {
        try
        {
            return JsonSerializer.Deserialize(text, type) ?? throw new InvalidDataException($"{source}: empty (null)");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} does not match the {typeof(T).Name} contract: {e.Message}", e);
        }
    }
}
