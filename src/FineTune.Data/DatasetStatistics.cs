namespace FineTune.Data;

/// <summary>Statistics of the kept (valid) examples of a dataset.</summary>
/// <param name="Turns">user→assistant pairs.</param>
/// <param name="TokenCounter">"estimate", or the name of the tokenizer that counted.</param>
/// <param name="TrainingTokens">Total tokens × epochs: what a hosted service bills for the job.</param>
public sealed record DatasetStatistics(
    long Examples,
    long Messages,
    long Turns,
    TokenStatistics Tokens,
    string TokenCounter,
    int MaxTokens,
    long OverMaxTokens,
    int Epochs,
    long TrainingTokens,
    long Duplicates,
    long NearDuplicates);
