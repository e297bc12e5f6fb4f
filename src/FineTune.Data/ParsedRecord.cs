namespace FineTune.Data;

/// <summary>
/// A record parsed into chat form. <see cref="Path"/>(i, field) names where message i's
/// field ("role" or "content") came from in the source record, for problem reports.
/// </summary>
internal readonly record struct ParsedRecord(ChatExample Example, Func<int, string, string> Path)
{
    public static readonly Func<int, string, string> ChatPath = static (i, field) => $"messages[{i}].{field}";
}
