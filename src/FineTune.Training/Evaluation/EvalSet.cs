using System.Text.Json;
using FineTune.Data;

namespace FineTune.Training.Evaluation;

/// <summary>
/// Reads eval items: GSM8K JSONL (objects with string <c>question</c> and <c>answer</c>) or any chat data the
/// trainer reads (chat JSONL, alpaca, sharegpt; validated strictly), told apart by the first record.
/// </summary>
public static class EvalSet
{
    public static async Task<List<EvalItem>> LoadAsync(string path, CancellationToken ct = default)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"eval data not found: {path}", path);
        if (IsGsm8k(path)) return ReadGsm8k(path);
        var examples = await TrainingData.LoadAsync(path, ct);
        return FromExamples(examples, path);
    }

    /// <summary>Chat examples as items (each must end its conversation with an assistant answer).</summary>
    public static List<EvalItem> FromExamples(IEnumerable<ChatExample> examples, string source = "eval data")
    {
        var items = new List<EvalItem>();
        foreach (var e in examples)
        {
            try { items.Add(EvalItem.FromChat(e)); }
            catch (InvalidDataException ex) { throw new InvalidDataException($"{source}: example {items.Count + 1}: {ex.Message}", ex); }
        }
        return items;
    }

    /// <summary>
    /// The held-out examples of a training run, as its spec defines them: the validation file, or the same
    /// content-hash split of its data the trainer made (so none of them was trained on). A spec without a
    /// validation share has no held-out data: that is an error, not a silent evaluation on training data.
    /// </summary>
    public static async Task<List<EvalItem>> HeldOutAsync(TrainingSpec spec, CancellationToken ct = default)
    {
        if (spec.ValidationData is { } v) return await LoadAsync(v, ct);
        if (spec.ValidationFraction <= 0 && spec.ValidationCount <= 0)
            throw new InvalidDataException("the training spec sets no validation data, fraction or count, so nothing was held out; give an eval set");
        var all = await TrainingData.LoadAsync(spec.Data, ct);
        var (_, validation) = TrainingData.Split(all, spec.ValidationFraction, spec.ValidationCount);
        if (validation.Count == 0) throw new InvalidDataException($"the validation split of {spec.Data} is empty; raise the fraction or set a count");
        return FromExamples(validation, spec.Data);
    }

    private static bool IsGsm8k(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("question", out _);
            }
            catch (JsonException) { return false; }   // not one object per line: let the data validator say why
        }
        return false;
    }

    private static List<EvalItem> ReadGsm8k(string path)
    {
        var items = new List<EvalItem>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("question", out var q) || q.ValueKind != JsonValueKind.String
                    || !root.TryGetProperty("answer", out var a) || a.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{path}: line {lineNumber}: a GSM8K record needs string \"question\" and \"answer\"");
                if (string.IsNullOrWhiteSpace(q.GetString())) throw new InvalidDataException($"{path}: line {lineNumber}: empty question");
                items.Add(EvalItem.FromGsm8k(q.GetString()!, a.GetString()!));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: line {lineNumber}: invalid JSON: {e.Message}", e);
            }
        }
        if (items.Count == 0) throw new InvalidDataException($"{path} holds no items");
        return items;
    }
}
