namespace FineTune.Training.Evaluation;

/// <summary>
/// One evaluation: the base model, the adapters to compare with it (the final adapter, epoch checkpoints),
/// prompting and decoding. Every variant sees the same prompts and decodes the same way.
/// </summary>
public sealed record EvalSpec
{
    /// <summary>Hugging Face model folder (config.json, safetensors, tokenizer.json).</summary>
    public required string Model { get; init; }
    public IReadOnlyList<AdapterRef> Adapters { get; init; } = [];
    /// <summary>Folder for report.json and one items.NAME.jsonl per variant.</summary>
    public required string Output { get; init; }
    /// <summary>Whether the base model (no adapter) is evaluated too, reported as <c>base</c>.</summary>
    public bool IncludeBase { get; init; } = true;
    /// <summary>Solved examples shown as prior user/assistant turns before each problem.</summary>
    public int Shots { get; init; }
    public int MaxNewTokens { get; init; } = 256;
    /// <summary>Prompts generated together (left-padded; results do not depend on it).</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>0 = greedy (default).</summary>
    public double Temperature { get; init; }
    public double TopP { get; init; } = 1.0;
    /// <summary>Sampling seed (ignored when greedy).</summary>
    public ulong Seed { get; init; }
    /// <summary>Evaluate at most this many items (the first ones); 0 = all.</summary>
    public int Limit { get; init; }
    /// <summary>cpu or cuda[:N]; default cuda when available.</summary>
    public string? Device { get; init; }
    /// <summary>Chat template override; default detects from tokenizer_config.json.</summary>
    public string? ChatTemplate { get; init; }
    /// <summary>Where the items came from, for the report only.</summary>
    public string? Data { get; init; }

    /// <summary>Throws naming the first value out of range.</summary>
    public EvalSpec Validate()
    {
        if (Shots < 0) throw new ArgumentOutOfRangeException(nameof(Shots), Shots, "shots must be >= 0");
        if (MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "max new tokens must be >= 1");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be >= 1");
        if (Temperature < 0 || double.IsNaN(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be >= 0");
        if (Limit < 0) throw new ArgumentOutOfRangeException(nameof(Limit), Limit, "limit must be >= 0 (0 = all)");
        if (!IncludeBase && Adapters.Count == 0) throw new ArgumentException("nothing to evaluate: no base and no adapter");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in Adapters)
            if (!names.Add(a.Validate().Name)) throw new ArgumentException($"two adapters are named '{a.Name}'");
        return this;
    }
}
