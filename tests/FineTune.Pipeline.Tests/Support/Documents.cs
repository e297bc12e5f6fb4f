using System.Text;

namespace FineTune.Tests.Support;

/// <summary>Plain-text documents long enough for several synthesis chunks (the chunker cuts at 3,000 characters).</summary>
public static class Documents
{
    private static readonly string[] Subjects = ["pump", "valve", "sensor", "gasket", "rotor", "filter", "bearing", "seal", "motor", "gauge", "nozzle", "tank"];
    private static readonly string[] Verbs = ["needs", "requires", "tolerates", "expects", "receives", "loses", "gains", "keeps"];
    private static readonly string[] Objects = ["grease", "inspection", "calibration", "pressure", "cooling", "cleaning", "alignment", "torque", "voltage", "lubricant"];
    private static readonly string[] Places = ["north hall", "basement", "roof deck", "boiler room", "loading bay", "east wing", "annex", "yard"];

    /// <summary><paramref name="paragraphs"/> paragraphs of distinct sentences; paragraph <paramref name="poisoned"/> (if any) starts with the marker the fake model refuses.</summary>
    public static string Manual(int paragraphs, int? poisoned = null, int seed = 1)
    {
        var random = new Random(seed);
        var text = new StringBuilder("Pump station maintenance manual\n\n");
        for (var p = 0; p < paragraphs; p++)
        {
            if (p == poisoned) text.Append(EchoLlm.PoisonMarker).Append(" section. ");
            for (var s = 0; s < 20; s++)
            {
                var n = random.Next(2, 500);
                text.Append($"The {Pick(random, Subjects)} in the {Pick(random, Places)} {Pick(random, Verbs)} {Pick(random, Objects)} every {n} hours " +
                            $"according to rule {p}-{s} and {Pick(random, Objects)} checks by the {Pick(random, Places)} crew. ");
            }
            text.Append("\n\n");
        }
        return text.ToString();
    }

    private static string Pick(Random random, string[] words) => words[random.Next(words.Length)];
}
