using System.Text;
using FineTune.Data;

namespace FineTune.Data.Tests;

internal static class TestData
{
    public const string Good1 = """{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello."}]}""";

    public static string GoodLine(int i) =>
        $$"""{"messages":[{"role":"user","content":"Question {{i}}?"},{"role":"assistant","content":"Answer {{i}}."}]}""";

    /// <summary>n distinct valid chat lines joined by '\n' (with a final newline).</summary>
    public static string GoodLines(int n, int from = 0) =>
        string.Concat(Enumerable.Range(from, n).Select(i => GoodLine(i) + "\n"));

    public static Task<ValidationReport> ValidateAsync(string text, ValidationOptions? options = null) =>
        ValidateAsync(Encoding.UTF8.GetBytes(text), options);

    public static Task<ValidationReport> ValidateAsync(byte[] bytes, ValidationOptions? options = null) =>
        DatasetValidator.ValidateAsync(new MemoryStream(bytes), options ?? new ValidationOptions());

    public static async Task<(ValidationReport Report, string Kept)> ValidateKeepingAsync(string text, ValidationOptions? options = null)
    {
        var kept = new MemoryStream();
        var report = await DatasetValidator.ValidateAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), options ?? new ValidationOptions(), kept);
        return (report, Encoding.UTF8.GetString(kept.ToArray()));
    }

    public static Problem Single(this ValidationReport report, string code) =>
        Assert.Single(report.Problems, p => p.Code == code);

    public static string[] Codes(this ValidationReport report) => report.Problems.Select(p => p.Code).ToArray();
}
