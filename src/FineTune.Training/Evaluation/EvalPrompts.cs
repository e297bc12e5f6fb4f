namespace FineTune.Training.Evaluation;

/// <summary>
/// The conversation a model is asked to continue: the item's system turn (if any), then the shots as prior
/// user/assistant turns (lm-evaluation-harness's multi-turn few-shot for chat models), then the item's turns.
/// </summary>
public static class EvalPrompts
{
    public static List<(string role, string content)> Build(EvalItem item, IReadOnlyList<EvalItem> shots)
    {
        var messages = new List<(string, string)>();
        foreach (var m in item.Prompt.TakeWhile(m => m.Role == "system")) messages.Add((m.Role, m.Content));
        foreach (var shot in shots)
            foreach (var m in shot.AsShot()) messages.Add((m.Role, m.Content));
        foreach (var m in item.Prompt.SkipWhile(m => m.Role == "system")) messages.Add((m.Role, m.Content));
        return messages;
    }

    /// <summary>
    /// Splits items into shots and the items evaluated: <paramref name="shots"/> items of a separate
    /// <paramref name="fewShotPool"/>, or else the first ones of <paramref name="items"/>, which are then not evaluated.
    /// </summary>
    public static (IReadOnlyList<EvalItem> Shots, IReadOnlyList<EvalItem> Evaluated) Split(
        IReadOnlyList<EvalItem> items, int shots, IReadOnlyList<EvalItem>? fewShotPool)
    {
        if (fewShotPool is not null)
        {
            if (fewShotPool.Count < shots) throw new InvalidDataException($"{shots} shots asked for, the few-shot set holds {fewShotPool.Count}");
            return (fewShotPool.Take(shots).ToList(), items);
        }
        if (items.Count <= shots) throw new InvalidDataException($"{shots} shots taken from {items.Count} items leave nothing to evaluate; give a separate few-shot file");
        return (items.Take(shots).ToList(), items.Skip(shots).ToList());
    }
}
