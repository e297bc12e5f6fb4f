using FineTune.Training.Evaluation;

namespace FineTune.Training.Tests.Evaluation;

/// <summary>Extraction and exact match as lm-evaluation-harness's gsm8k task (v3) scores them.</summary>
public class Gsm8kScoringTests
{
    [Theory]
    [InlineData("Natalia sold 48/2 = 24 clips in May.\n#### 72", "72")]
    [InlineData("#### -3.5 and later #### 9", "-3.5")]          // take_first
    [InlineData("#### 1,234", "1,234")]
    [InlineData("####72", Gsm8kScoring.Invalid)]                // needs the space
    [InlineData("The answer is 72.", Gsm8kScoring.Invalid)]
    public void ExtractStrict_FirstMarkedNumber_OrInvalid(string text, string expected) =>
        Assert.Equal(expected, Gsm8kScoring.ExtractStrict(text));

    [Theory]
    [InlineData("3 + 4 = 7 so the total is $1,200.", "$1,200.")]  // last match, first alternative
    [InlineData("I have 5 apples and 7", "7")]                    // single digit: second alternative
    [InlineData("It is -12 degrees", "-12")]
    [InlineData("2 then -3", "-3")]
    [InlineData("no digits here", Gsm8kScoring.Invalid)]
    [InlineData("... and .. ", "..")]                             // the harness's regex takes punctuation runs too
    [InlineData("#### 72", "72")]
    public void ExtractFlexible_LastNumberLikeRun(string text, string expected) =>
        Assert.Equal(expected, Gsm8kScoring.ExtractFlexible(text));

    [Theory]
    [InlineData("$1,200.", "1200")]
    [InlineData("Step one. #### Step two #### 18", "18")]           // everything up to the last "#### "
    [InlineData("ABC", "abc")]                                      // ignore_case
    [InlineData("1.5", "1.5")]
    [InlineData("7.\n", "7\n")]                                     // Python's $ also matches before a final newline
    public void Normalize_RemovesCommasDollarsMarkerAndTrailingDot(string text, string expected) =>
        Assert.Equal(expected, Gsm8kScoring.Normalize(text));

    [Fact]
    public void Score_Gsm8kAnswer_StrictAndFlexibleDiffer()
    {
        var (reference, kind) = Gsm8kScoring.Reference("She has 3 + 4 = 7 apples.\n#### 1,007");
        Assert.Equal(("1007", ReferenceKind.Marked), (reference, kind));

        var marked = Gsm8kScoring.Score("3 + 4 = 7. #### 1007.", reference, kind);
        Assert.Equal(new ItemScore("1007.", "1007.", true, true), marked);
        var unmarked = Gsm8kScoring.Score("So the answer is $1,007.", reference, kind);
        Assert.Equal(new ItemScore(Gsm8kScoring.Invalid, "$1,007.", false, true), unmarked);
        var wrong = Gsm8kScoring.Score("#### 1007 but really 12", reference, kind);
        Assert.Equal(new ItemScore("1007", "12", true, false), wrong);
    }

    [Fact]
    public void Reference_ChatAnswerWithoutMarker_IsItsLastNumber_OrWholeText()
    {
        Assert.Equal(("42", ReferenceKind.Number), Gsm8kScoring.Reference("There are 6 * 7 = 42 cats."));
        Assert.Equal(("paris", ReferenceKind.Text), Gsm8kScoring.Reference(" Paris. "));
        var text = Gsm8kScoring.Score("  PARIS ", "paris", ReferenceKind.Text);
        Assert.True(text.CorrectStrict && text.CorrectFlexible);
        Assert.False(Gsm8kScoring.Score("It is Paris", "paris", ReferenceKind.Text).CorrectFlexible);
    }

    [Fact]
    public void Matches_InvalidNeverMatches_EvenAnInvalidLookingReference() =>
        Assert.False(Gsm8kScoring.Matches(Gsm8kScoring.Invalid, Gsm8kScoring.Normalize(Gsm8kScoring.Invalid)));
}
