namespace FineTune.Synthesis;

/// <summary>Why a generated pair was not kept; the codes are stable (reports and tests use them). A pair failing the
/// Data rules is dropped as "rule:" + the <c>FineTune.Data.ProblemCodes</c> code.</summary>
public static class DropReasons
{
    /// <summary>An object that is not JSON even after repairs (trailing commas, raw newlines, inner quotes), or a line
    /// that starts an object and breaks off before the reply goes on; one drop per broken line, costing no other line.</summary>
    public const string InvalidJson = "invalid_json";
    /// <summary>The output ended inside an object (max_tokens reached, or a cut stream): nothing but blank lines or the
    /// object's own deeper-indented lines follows it.</summary>
    public const string Truncated = "truncated";
    /// <summary>No question or no answer field (or not a string).</summary>
    public const string MissingField = "missing_field";
    /// <summary>The same or nearly the same question as one kept before (this chunk or an earlier one).</summary>
    public const string DuplicateQuestion = "duplicate_question";
    /// <summary>The answer shares too little with its chunk (only when ungrounded answers are dropped, not just flagged).</summary>
    public const string Ungrounded = "ungrounded";

    public static string Rule(string problemCode) => "rule:" + problemCode;
}
