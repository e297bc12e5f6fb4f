namespace FineTune.Data;

/// <summary>
/// The stable codes of <see cref="Problem.Code"/>. A code never changes meaning once released;
/// README.md lists them with their severity. Errors first, then warnings.
/// </summary>
public static class ProblemCodes
{
    // File level (Line 0 or the line where the file went wrong).
    public const string EmptyFile = "empty_file";
    public const string BinaryFile = "binary_file";
    public const string UnsupportedEncoding = "unsupported_encoding";
    public const string NotJsonl = "not_jsonl";
    public const string UnknownFormat = "unknown_format";

    // Line level: bytes and JSON syntax.
    public const string InvalidUtf8 = "invalid_utf8";
    public const string NulByte = "nul_byte";
    public const string LineTooLong = "line_too_long";
    public const string InvalidJson = "invalid_json";
    public const string NotObject = "not_object";
    public const string DuplicateKey = "duplicate_key";

    // Chat structure (also used for the messages of alpaca and sharegpt records once mapped).
    public const string MissingMessages = "missing_messages";
    public const string MessagesNotArray = "messages_not_array";
    public const string EmptyMessages = "empty_messages";
    public const string MessageNotObject = "message_not_object";
    public const string MissingRole = "missing_role";
    public const string RoleNotString = "role_not_string";
    public const string InvalidRole = "invalid_role";
    public const string MissingContent = "missing_content";
    public const string ContentNotString = "content_not_string";
    public const string EmptyContent = "empty_content";
    public const string SystemNotFirst = "system_not_first";
    public const string FirstNotUser = "first_not_user";
    public const string NotAlternating = "not_alternating";
    public const string LastNotAssistant = "last_not_assistant";
    public const string NoPair = "no_pair";

    // Alpaca and ShareGPT fields.
    public const string MissingField = "missing_field";
    public const string FieldNotString = "field_not_string";
    public const string InvalidHistory = "invalid_history";
    public const string MissingConversations = "missing_conversations";
    public const string ConversationsNotArray = "conversations_not_array";

    // Warnings.
    public const string UnknownKey = "unknown_key";
    public const string TooLong = "too_long";
    public const string Duplicate = "duplicate";
    public const string NearDuplicate = "near_duplicate";
    public const string EmptyAnswer = "empty_answer";
    public const string TooFewExamples = "too_few_examples";
}
