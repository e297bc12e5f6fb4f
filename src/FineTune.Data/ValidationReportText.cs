using System.Text;

namespace FineTune.Data;

/// <summary>The human form of a <see cref="ValidationReport"/>: a verdict, counts, then problems grouped by code with their first lines.</summary>
public static class ValidationReportText
{
    public static string Format(ValidationReport report, string? fileName = null, int linesPerCode = 5)
    {
        var sb = new StringBuilder();
        var s = report.Statistics;
        var name = fileName ?? "input";
        var how = $"{Name(report.Format)}, {report.Layout}, {(report.Mode == ValidationMode.Strict ? "strict" : "lenient")}";
        sb.AppendLine(report.Usable ? $"{name}: usable ({how})" : $"{name}: NOT usable ({how})");
        sb.AppendLine($"  sha256 {report.Sha256}, {report.Bytes:N0} bytes, {report.Lines:N0} lines ({report.BlankLines:N0} blank)");
        sb.AppendLine($"  {report.Records:N0} records: {report.ValidExamples:N0} valid, {report.DroppedExamples:N0} {(report.Mode == ValidationMode.Lenient ? "dropped" : "invalid")}; {report.Errors:N0} errors, {report.Warnings:N0} warnings");
        if (s.Examples > 0)
        {
            sb.AppendLine($"  {s.Messages:N0} messages, {s.Turns:N0} turns; tokens ({s.TokenCounter}) min {s.Tokens.Min:N0} / mean {s.Tokens.Mean:N1} / p95 {s.Tokens.P95:N0} / max {s.Tokens.Max:N0}, total {s.Tokens.Total:N0}");
            sb.AppendLine($"  {s.OverMaxTokens:N0} over {s.MaxTokens:N0} tokens; {s.TrainingTokens:N0} training tokens for {s.Epochs} epochs; {s.Duplicates:N0} duplicates, {s.NearDuplicates:N0} near duplicates");
        }

        foreach (var group in report.Problems.GroupBy(p => p.Code)
                     .OrderBy(g => g.First().Severity).ThenByDescending(g => report.CountsByCode.GetValueOrDefault(g.Key)))
        {
            var first = group.First();
            var count = report.CountsByCode.GetValueOrDefault(group.Key, group.LongCount());
            sb.AppendLine();
            sb.AppendLine($"{(first.Severity == Severity.Error ? "error" : "warning")} {group.Key} ({count:N0}×)");
            foreach (var p in group.Take(linesPerCode))
            {
                var where = p.Line > 0 ? $"line {p.Line}" : "file";
                var path = p.Path.Length > 0 ? $" {p.Path}" : "";
                sb.AppendLine($"  {where}{path}: {p.Message}");
                if (!string.IsNullOrEmpty(p.Excerpt)) sb.AppendLine($"      {p.Excerpt}");
            }
            if (count > linesPerCode) sb.AppendLine($"  … and {count - linesPerCode:N0} more");
        }
        if (report.Truncated) sb.AppendLine().AppendLine("(the report holds the first problems only; the counts above are exact)");
        return sb.ToString();
    }

    private static string Name(DataFormat format) => format switch
    {
        DataFormat.Alpaca => "alpaca",
        DataFormat.ShareGpt => "sharegpt",
        DataFormat.Auto => "auto",
        _ => "chat",
    };
}
