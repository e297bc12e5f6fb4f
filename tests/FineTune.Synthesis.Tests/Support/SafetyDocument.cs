namespace FineTune.Synthesis.Tests.Support;

/// <summary>A four-section Markdown document (one chunk per section at MaxSize 300, Overlap 0) and scripted model
/// replies for each section: good lines, fenced lines with prose, broken lines, and near-duplicates of section A.</summary>
public static class SafetyDocument
{
    public const string System = "You are a fire safety expert";

    public const string Text = """
        # Section A: Smoke detectors

        Smoke detectors shall be installed on the ceiling of every bedroom and corridor. The distance between two smoke detectors shall not exceed fifteen meters in corridors. Detectors must be tested once a month by pressing the test button.

        # Section B: Extinguishers

        Portable fire extinguishers shall be mounted near every exit door at a height of no more than one and a half meters. Each extinguisher must be inspected every month and refilled after any use.

        # Section C: Fire doors

        Fire doors in stairwells shall close by themselves and must never be wedged open. Damaged door closers must be repaired within seven days.

        # Section D: Exit signs

        Exit signs shall be lit at all times and show a green running man above each exit. Emergency lighting must work for at least ninety minutes during a power cut.
        """;

    public static ChunkingOptions Chunking => new() { MaxSize = 300, Overlap = 0 };

    /// <summary>Ten pairs, nine faithful and one invented (bananas), all well formed.</summary>
    public static readonly (string Q, string A)[] SectionA =
    [
        ("Where should I put a smoke detector at home?", "On the ceiling of every bedroom and corridor."),
        ("How far apart can smoke detectors be in a hallway?", "In corridors the distance between two smoke detectors shall not exceed fifteen meters."),
        ("How often do I need to test my smoke alarm?", "Detectors must be tested once a month."),
        ("Which rooms need a detector on the ceiling?", "Every bedroom and every corridor."),
        ("Can a corridor have detectors twenty meters apart?", "No, the distance in corridors shall not exceed fifteen meters."),
        ("What button do I press to check the alarm works?", "Press the test button on the detector."),
        ("Is a monthly check enough for a detector?", "Yes, detectors must be tested once a month."),
        ("Do bedrooms require their own smoke detector?", "Yes, smoke detectors shall be installed in every bedroom."),
        ("Should the detector go on the wall or the ceiling?", "On the ceiling."),
        ("Are bananas good for firefighters?", "Bananas are a yellow tropical fruit rich in potassium."),
    ];

    public static string ReplyA => Replies.Lines(System, SectionA);

    /// <summary>Three good pairs inside a code fence, with prose before and after.</summary>
    public static string ReplyB => "Sure! Here are the questions:\n```json\n" + Replies.Lines(System,
        ("Where do extinguishers go?", "Mount them near every exit door, no higher than one and a half meters."),
        ("How often should an extinguisher be inspected?", "Every month, and refill it after any use."),
        ("Do I need to refill an extinguisher after using it once?", "Yes, it must be refilled after any use.")) +
        "\n```\nLet me know if you need more.";

    /// <summary>Six objects: split across lines (kept), trailing comma (kept), missing comma (invalid_json), no answer
    /// (missing_field), blank answer (rule:empty_content), cut off at the end (truncated).</summary>
    public static string ReplyC => string.Join("\n",
        "{\n  \"system\": \"S\",\n  \"user\": \"Can I keep the stairwell fire door open with a wedge?\",\n  \"assistant\": \"No, fire doors in stairwells must never be wedged open and should close by themselves.\"\n}",
        "{\"system\": \"S\", \"user\": \"How fast must a broken door closer be fixed?\", \"assistant\": \"Damaged door closers must be repaired within seven days.\",}",
        "{\"system\": \"S\", \"user\": \"Who checks fire doors?\" \"assistant\": \"Doors close by themselves.\"}",
        "{\"system\": \"S\", \"user\": \"Is a fire door special?\"}",
        "{\"system\": \"S\", \"user\": \"What is a door closer?\", \"assistant\": \"  \"}",
        "{\"system\": \"S\", \"user\": \"Should fire doors close on their own?\", \"assistant\": \"Yes, fire doors in stairwells shall clo");

    /// <summary>Two questions already asked in section A (one exact, one near) and one new.</summary>
    public static string ReplyD => Replies.Lines(System,
        ("Where should I put a smoke detector at home?", "Exit signs shall be lit at all times."),
        ("where should i put the smoke detectors at home", "Above each exit."),
        ("How long must emergency lights keep working when the power goes out?", "Emergency lighting must work for at least ninety minutes during a power cut."));

    /// <summary>The reply for whichever section the prompt carries.</summary>
    public static string ReplyFor(string prompt) =>
        prompt.Contains("# Section A") ? ReplyA :
        prompt.Contains("# Section B") ? ReplyB :
        prompt.Contains("# Section C") ? ReplyC :
        prompt.Contains("# Section D") ? ReplyD :
        throw new InvalidOperationException("unknown section in prompt");
}
