namespace FineTune.Data;

/// <summary>Options of <see cref="DatasetValidator"/>; the defaults suit `finetune validate`.</summary>
public sealed record ValidationOptions
{
    public DataFormat Format { get; init; } = DataFormat.Auto;
    public ValidationMode Mode { get; init; } = ValidationMode.Strict;

    /// <summary>Examples longer than this many tokens get a <c>too_long</c> warning.</summary>
    public int MaxTokens { get; init; } = 4096;

    /// <summary>The model's tokenizer; null estimates (<see cref="EstimatingTokenCounter"/>).</summary>
    public ITokenCounter? TokenCounter { get; init; }

    /// <summary>A name for the counter in reports ("estimate" when <see cref="TokenCounter"/> is null).</summary>
    public string? TokenCounterName { get; init; }

    /// <summary>Lines (or JSON array elements) longer than this are reported as <c>line_too_long</c>, not parsed.</summary>
    public int MaxLineBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Epochs for the "training tokens" figure (tokens × epochs, what a hosted service bills).</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Fewer valid examples than this gives a <c>too_few_examples</c> warning.</summary>
    public int MinExamples { get; init; } = 10;

    /// <summary>At most this many problems are kept in the report; counts stay exact beyond it.</summary>
    public int MaxReportedProblems { get; init; } = 100_000;

    /// <summary>Exact and normalized duplicate detection (costs about 40 bytes of memory per distinct example).</summary>
    public bool DetectDuplicates { get; init; } = true;

    /// <summary>
    /// Threads that parse and check JSONL records (slices of lines claimed from a shared counter);
    /// statistics, duplicates and output stay in input order on one thread. 1 checks everything on the
    /// calling thread. The default leaves one core to the rest of the machine: on 2 cores it is 1, as
    /// measured there a second thread bought nothing while other work shared the cores (README).
    /// </summary>
    public int Parallelism { get; init; } = Math.Clamp(Environment.ProcessorCount - 1, 1, 8);

    public void Validate()
    {
        if (Parallelism < 1) throw new ArgumentOutOfRangeException(nameof(Parallelism), Parallelism, "must be at least 1");
        if (MaxTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "must be at least 1");
        if (MaxLineBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxLineBytes), MaxLineBytes, "must be at least 1024");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "must be at least 1");
        if (MinExamples < 0) throw new ArgumentOutOfRangeException(nameof(MinExamples), MinExamples, "must not be negative");
        if (MaxReportedProblems < 0) throw new ArgumentOutOfRangeException(nameof(MaxReportedProblems), MaxReportedProblems, "must not be negative");
    }
}
