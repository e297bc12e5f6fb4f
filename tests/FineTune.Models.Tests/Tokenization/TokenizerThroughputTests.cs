using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace FineTune.Models.Tests.Tokenization;

/// <summary>Reports load time and encode throughput on ~1 MB of mixed text (a measurement, not a timed assertion).</summary>
public class TokenizerThroughputTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("qwen3")]
    [InlineData("llama3")]
    public void Encode_OneMegabyteMixedText_ReportsTokensPerSecondAndRoundTrips(string model)
    {
        var golden = GoldenData.Get(model);
        var load = Stopwatch.StartNew();
        var tokenizer = global::FineTune.Models.Tokenization.Tokenizer.Load(golden.Dir);
        load.Stop();

        var text = MixedText(1 << 20);
        var watch = Stopwatch.StartNew();
        var ids = tokenizer.Encode(text);
        watch.Stop();
        output.WriteLine($"{model}: load {load.ElapsedMilliseconds} ms; encoded {Encoding.UTF8.GetByteCount(text) / 1e6:F2} MB " +
                         $"into {ids.Length} tokens in {watch.ElapsedMilliseconds} ms = {ids.Length / watch.Elapsed.TotalSeconds:N0} tokens/s (cold cache)");
        Assert.Equal(text, tokenizer.Decode(ids));
        watch.Restart();
        var again = tokenizer.Encode(text);
        output.WriteLine($"{model}: warm cache {again.Length / watch.Elapsed.TotalSeconds:N0} tokens/s");
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
