namespace FineTune.Data;

/// <summary>
/// Counts the tokens an example costs in training. The CLI plugs a model's tokenizer in;
/// <see cref="EstimatingTokenCounter"/> is the fallback when no tokenizer is given.
/// </summary>
public interface ITokenCounter
{
    int CountTokens(ChatExample example);
}
