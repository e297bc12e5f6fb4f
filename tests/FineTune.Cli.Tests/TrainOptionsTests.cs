namespace FineTune.Cli.Tests;

/// <summary>`finetune train`'s hyperparameter options, made from the hyperparameter table: names, help and messages.</summary>
public class TrainOptionsTests
{
    private static Cli.Result Train(params string[] extra) =>
        Cli.Run(["train", "--model", "no-model", "--data", "no-data.jsonl", "--out", Path.Combine(Path.GetTempPath(), "ft-unused"), .. extra]);

    [Fact]
    public void Help_ListsEveryHyperparameter_WithItsRangeOrChoices()
    {
        var help = Cli.Run("train", "--help");
        Assert.Equal(0, help.ExitCode);
        var text = System.Text.RegularExpressions.Regex.Replace(help.Stdout, @"\s+", " ");   // descriptions wrap to the terminal's width
        foreach (var d in FineTune.Training.HyperparameterTable.All)
        {
            Assert.Contains(d.Option, text);
            Assert.Contains(d.Help, text);
        }
        Assert.Contains("--learning-rate, --lr <learning_rate>", text);
    }

    [Theory]
    [InlineData("--lr", "abc", "--lr: learning_rate must be a number, not \"abc\"")]
    [InlineData("--epochs", "2.5", "--epochs: epochs must be a whole number, not \"2.5\"")]
    [InlineData("--learning-rate", "0.5", "learning_rate must be in (0, 0.1] (--expert widens the range)")]
    [InlineData("--scheduler", "exponential", "scheduler must be linear, cosine or constant, not \"exponential\"")]
    public void BadValue_IsAUsageError_WithTheTablesMessage(string option, string value, string message)
    {
        var r = Train(option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
    }
}
