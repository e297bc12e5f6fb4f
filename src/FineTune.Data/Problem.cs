namespace FineTune.Data;

/// <summary>
/// One finding of validation. <paramref name="Line"/> is 1-based as an editor shows it, 0 for the whole
/// file; <paramref name="Path"/> names the field (<c>messages[2].role</c>), empty for the whole line;
/// <paramref name="Code"/> is one of <see cref="ProblemCodes"/> and never changes meaning.
/// </summary>
public sealed record Problem(long Line, string Path, Severity Severity, string Code, string Message, string? Excerpt)
{
    public static Problem Error(long line, string path, string code, string message, string? excerpt = null) =>
        new(line, path, Severity.Error, code, message, excerpt);

    public static Problem Warning(long line, string path, string code, string message, string? excerpt = null) =>
        new(line, path, Severity.Warning, code, message, excerpt);
}
