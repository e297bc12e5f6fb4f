namespace FineTune.Training;

/// <summary>
/// One training sequence: input ids and, aligned with them, the id each position must predict
/// (<see cref="IgnoreIndex"/> where no loss is taken: prompt tokens, unless training on prompts).
/// </summary>
public sealed record EncodedExample(int[] Inputs, int[] Labels)
{
    public const int IgnoreIndex = -100;

    public int Length => Inputs.Length;
    public int TrainedTokens => Labels.Count(l => l != IgnoreIndex);
}
