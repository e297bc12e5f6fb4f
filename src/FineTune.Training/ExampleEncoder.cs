using FineTune.Data;
using FineTune.Models.Chat;

namespace FineTune.Training;

/// <summary>
/// Renders chat examples with the model's chat template into <see cref="EncodedExample"/>s: loss on the
/// assistant turns (every turn of a multi-turn chat, each with its end-of-turn token) unless
/// <c>trainOnPrompt</c>; sequences over <c>maxTokens</c> are cut and counted.
/// </summary>
public sealed class ExampleEncoder(ChatTemplate template, int maxTokens, bool trainOnPrompt)
{
    public int Truncated { get; private set; }
    /// <summary>Examples with nothing left to learn after truncation (their answers were cut away).</summary>
    public int Skipped { get; private set; }

    public EncodedExample? Encode(ChatExample example)
    {
        var (ids, mask) = template.Render(example.Messages.Select(m => (m.Role, m.Content)).ToList(), addGenerationPrompt: false);
        if (ids.Length > maxTokens)
        {
            Truncated++;
            ids = ids[..maxTokens];
            mask = mask[..maxTokens];
        }
        // position t predicts token t+1
        var inputs = ids[..^1];
        var labels = new int[inputs.Length];
        bool any = false;
        for (int t = 0; t < labels.Length; t++)
        {
            bool train = trainOnPrompt || mask[t + 1];
            labels[t] = train ? ids[t + 1] : EncodedExample.IgnoreIndex;
            any |= train;
        }
        if (!any)
        {
            Skipped++;
            return null;
        }
        return new EncodedExample(inputs, labels);
    }

    public List<EncodedExample> EncodeAll(IEnumerable<ChatExample> examples) =>
        examples.Select(Encode).Where(e => e is not null).Select(e => e!).ToList();
}
