namespace FineTune.Cli;

/// <summary>Process exit codes shared by every verb.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The command ran but the input was not usable (e.g. a data file with errors).</summary>
    public const int Failed = 1;
    /// <summary>Bad command line: unknown option, missing argument, value out of range.</summary>
    public const int Usage = 2;
}
