namespace FineTune.Synthesis;

/// <summary>One generated question and its answer (the system message is always the job's trigger word).</summary>
public sealed record QaPair(string Question, string Answer);
