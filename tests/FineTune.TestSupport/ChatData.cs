using System.Text;

namespace FineTune.Tests.Support;

/// <summary>Small chat datasets for pipeline tests.</summary>
public static class ChatData
{
    public static string Valid(int examples = 12)
    {
        var text = new StringBuilder();
        for (var i = 0; i < examples; i++)
            text.Append($$"""{"messages":[{"role":"user","content":"What is {{i}} plus {{i}}?"},{"role":"assistant","content":"{{i}} plus {{i}} is {{2 * i}}."}]}""").Append('\n');
        return text.ToString();
    }

    /// <summary><paramref name="examples"/> valid lines with two broken ones (lines 3 and 6).</summary>
    public static string WithTwoInvalidLines(int examples = 12)
    {
        var lines = Valid(examples).TrimEnd('\n').Split('\n').ToList();
        lines[2] = """{"messages":[{"role":"assistant","content":"I speak first"},{"role":"user","content":"hm"}]}""";
        lines[5] = """{"messages": not json""";
        return string.Join('\n', lines) + "\n";
    }
}
