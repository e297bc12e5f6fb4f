using FineTune.Data;

namespace FineTune.Training;

/// <summary>Reads a training file through the Data validator (strict: any error stops the run) and splits off validation examples.</summary>
public static class TrainingData
{
    public static async Task<List<ChatExample>> LoadAsync(string path, CancellationToken ct = default)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"training data not found: {path}", path);
        await using var input = File.OpenRead(path);
        using var kept = new MemoryStream();
        var report = await DatasetValidator.ValidateAsync(input, new ValidationOptions { Mode = ValidationMode.Strict, MinExamples = 0 }, kept, ct);
        if (!report.Usable)
        {
            var first = report.Problems.Where(p => p.Severity == Severity.Error).Take(3).Select(p => $"line {p.Line}: {p.Code}: {p.Message}");
            throw new InvalidDataException($"{path} is not usable training data ({report.Errors} error(s); run `finetune validate {path}`): {string.Join("; ", first)}");
        }
        kept.Position = 0;
        var list = new List<ChatExample>();
        await foreach (var e in ChatJsonl.ReadAsync(kept, ct)) list.Add(e);
        if (list.Count == 0) throw new InvalidDataException($"{path} holds no examples");
        return list;
    }

    /// <summary>
    /// Splits by content hash (re-runs give the same split): a fraction through Data's DatasetSplit, or the
    /// <paramref name="count"/> examples with the lowest hash.
    /// </summary>
    public static (List<ChatExample> Train, List<ChatExample> Validation) Split(List<ChatExample> all, double fraction, int count)
    {
        if (fraction < 0 || fraction >= 1) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "validation fraction must be in [0, 1)");
        if (count < 0 || (count > 0 && count >= all.Count)) throw new ArgumentOutOfRangeException(nameof(count), count, $"validation count must be in [0, {all.Count - 1}]");
        if (count > 0)
        {
            var chosen = all.Select((e, i) => (Unit: ContentHash.Unit(e, "validation"), i)).OrderBy(x => x.Unit).Take(count).Select(x => x.i).ToHashSet();
            return (all.Where((_, i) => !chosen.Contains(i)).ToList(), all.Where((_, i) => chosen.Contains(i)).ToList());
        }
        if (fraction == 0) return (all, []);
        var train = all.Where(e => !DatasetSplit.IsValidation(e, fraction)).ToList();
        var val = all.Where(e => DatasetSplit.IsValidation(e, fraction)).ToList();
        if (train.Count == 0) throw new InvalidDataException("the validation split took every example; lower the fraction");
        return (train, val);
    }
}
