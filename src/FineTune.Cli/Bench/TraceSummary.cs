using System.Text.Json;

namespace FineTune.Cli.Bench;

/// <summary>One op name's share of a recorded trace: calls, self time (its own, children's excluded) and total time.</summary>
public sealed record OpTime(string Name, int Calls, double SelfMs, double TotalMs);

/// <summary>
/// Reads a Chrome trace written by <see cref="FineTune.Torch.LibTorch.Profile"/> ("X" events with ts and dur in µs, one
/// nesting per thread) and sums each op's time. Self time is an event's duration less that of the events directly
/// inside it on the same thread, so the self times add up to the time the ops took.
/// </summary>
public static class TraceSummary
{
    public static IReadOnlyList<OpTime> Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement : doc.RootElement.GetProperty("traceEvents");
        var events = new List<(string Name, string Thread, double Start, double Duration)>();
        foreach (var e in root.EnumerateArray())
        {
            if (!e.TryGetProperty("ph", out var ph) || ph.GetString() != "X") continue;
            events.Add((e.GetProperty("name").GetString() ?? "?", e.TryGetProperty("tid", out var tid) ? tid.ToString() : "",
                e.GetProperty("ts").GetDouble(), e.GetProperty("dur").GetDouble()));
        }
        var totals = new Dictionary<string, (int Calls, double Self, double Total)>();
        foreach (var thread in events.GroupBy(e => e.Thread))
        {
            // Outer events first where two start together; a stack of the events still open.
            var ordered = thread.OrderBy(e => e.Start).ThenByDescending(e => e.Duration).ToList();
            var open = new Stack<(string Name, double End, double Duration)>();
            var childTime = new Stack<double>();
            void Close()
            {
                var (name, _, duration) = open.Pop();
                var children = childTime.Pop();
                var t = totals.GetValueOrDefault(name);
                totals[name] = (t.Calls + 1, t.Self + duration - children, t.Total + duration);
                if (childTime.Count > 0) childTime.Push(childTime.Pop() + duration);
            }
            foreach (var e in ordered)
            {
                while (open.Count > 0 && e.Start >= open.Peek().End) Close();
                open.Push((e.Name, e.Start + e.Duration, e.Duration));
                childTime.Push(0);
            }
            while (open.Count > 0) Close();
        }
        return totals.Select(t => new OpTime(t.Key, t.Value.Calls, Math.Round(t.Value.Self / 1000, 3), Math.Round(t.Value.Total / 1000, 3)))
            .OrderByDescending(t => t.SelfMs).ToList();
    }

    /// <summary>The ops that took the most self time, one line each, and the sum of all.</summary>
    public static void Print(IReadOnlyList<OpTime> ops, int top = 20, TextWriter? output = null)
    {
        output ??= Console.Out;
        double all = ops.Sum(o => o.SelfMs);
        output.WriteLine($"{"op",-40} {"calls",6} {"self ms",9} {"self %",7} {"total ms",9}");
        foreach (var o in ops.Take(top))
            output.WriteLine($"{o.Name,-40} {o.Calls,6} {o.SelfMs,9:F2} {(all > 0 ? 100 * o.SelfMs / all : 0),6:F1}% {o.TotalMs,9:F2}");
        output.WriteLine($"{"all ops",-40} {ops.Sum(o => o.Calls),6} {all,9:F2}");
    }
}
