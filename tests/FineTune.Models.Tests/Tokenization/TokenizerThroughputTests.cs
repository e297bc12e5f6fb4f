using System.Text;

namespace FineTune.Models.Tests.Tokenization;

/// <summary>
/// ~1 MB of mixed text through the real tokenizers: it round-trips, and the word cache (cold on the first encode, warm on the
/// second) changes no id. How fast it goes is `finetune bench`'s business, not a test's.
/// </summary>
public class TokenizerThroughputTests
{
    [Theory]
    [InlineData("qwen3")]
    [InlineData("llama3")]
    public void Encode_OneMegabyteMixedText_RoundTrips_AndTheWarmCacheGivesTheSameIds(string model)
    {
        var tokenizer = global::FineTune.Models.Tokenization.Tokenizer.Load(GoldenData.Get(model).Dir);
        var text = MixedText(1 << 20);

        var cold = tokenizer.Encode(text);
        var warm = tokenizer.Encode(text);

        Assert.Equal(text, tokenizer.Decode(cold));
        Assert.Equal(cold, warm);
        // A byte-level BPE over words, CJK and digits: between one token per 8 bytes and one per byte.
        var bytes = Encoding.UTF8.GetByteCount(text);
        Assert.InRange(cold.Length, bytes / 8, bytes);
    }

    /// <summary>English, Chinese, code and numbers with varied words, so the word cache does not make it trivial.</summary>
    internal static string MixedText(int bytes)
    {
        var random = new Random(1234);
        string[] english = ["model", "training", "data", "the", "a", "of", "loss", "gradient", "token", "learning", "rate", "batch",
            "question", "answer", "because", "however", "therefore", "Paris", "London", "quickly", "running", "evaluation"];
        string[] code = ["for (int i = 0; i < n; i++) {", "    sum += x[i] * w[i];", "}", "def f(x):", "    return x ** 2", "if (a == b) return;"];
        var sb = new StringBuilder();
        int written = 0;
        while (written < bytes)
        {
            int before = sb.Length;
            switch (random.Next(4))
            {
                case 0:
                    for (int i = 0; i < 12; i++) sb.Append(english[random.Next(english.Length)]).Append(random.Next(5) == 0 ? ", " : " ");
                    sb.Append("end").Append(random.Next(1000)).Append(".\n");
                    break;
                case 1:
                    for (int i = 0; i < 20; i++) sb.Append((char)random.Next(0x4E00, 0x4E00 + 3000));
                    sb.Append("。\n");
                    break;
                case 2:
                    sb.Append(code[random.Next(code.Length)]).Append('\n');
                    break;
                default:
                    sb.Append(random.Next(100000)).Append(" + ").Append(random.Next(1000)).Append(" = ").Append(random.NextDouble().ToString("F4", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
                    break;
            }
            written += Encoding.UTF8.GetByteCount(sb.ToString(before, sb.Length - before));
        }
        return sb.ToString();
    }
}
