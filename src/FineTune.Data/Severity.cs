namespace FineTune.Data;

/// <summary>An error makes an example (or the file) unusable; a warning does not.</summary>
public enum Severity
{
    Error,
    Warning,
}
