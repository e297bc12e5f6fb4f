using FineTune.Training.Evaluation;

namespace FineTune.Training.Tests.Evaluation;

public class DeploymentGateTests
{
    [Fact]
    public void Decide_TunedAtLeastBasePlusMin_Deploys()
    {
        var d = DeploymentGate.Decide(0.2, 0.3, 0.1);   // 0.3 - 0.2 is 0.09999999999999998 in doubles
        Assert.Equal(GateOutcome.Deploy, d.Outcome);
        Assert.True(d.Passed);
        Assert.Equal((0.2, 0.3, 0.1), (d.BaseScore, d.TunedScore, d.MinImprovement));
        Assert.Contains("tuned 0.3 vs base 0.2", d.Reason);
    }

    [Fact]
    public void Decide_EqualScores_DefaultMinZero_Deploys() =>
        Assert.Equal(GateOutcome.Deploy, DeploymentGate.Decide(0.5, 0.5).Outcome);

    [Theory]
    [InlineData("wait", GateOutcome.AwaitApproval)]
    [InlineData("fail", GateOutcome.Fail)]
    [InlineData("deploy", GateOutcome.Deploy)]
    public void Decide_BelowThreshold_FollowsOnFail(string onFail, GateOutcome expected)
    {
        var d = DeploymentGate.Decide(0.40, 0.45, 0.10, onFail);
        Assert.Equal(expected, d.Outcome);
        Assert.False(d.Passed);
        Assert.Equal(0.05, d.Improvement, 12);
        Assert.StartsWith("gate not passed", d.Reason);
    }

    [Fact]
    public void Decide_Worse_DefaultWaits() =>
        Assert.Equal(GateOutcome.AwaitApproval, DeploymentGate.Decide(0.6, 0.5).Outcome);

    [Theory]
    [InlineData(-0.1, 0.5, 0)]
    [InlineData(0.5, 1.5, 0)]
    [InlineData(double.NaN, 0.5, 0)]
    [InlineData(0.5, 0.5, double.NaN)]
    public void Decide_OutOfRange_Throws(double b, double t, double min) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DeploymentGate.Decide(b, t, min));

    [Fact]
    public void Decide_UnknownOnFail_Throws() =>
        Assert.Throws<ArgumentException>(() => DeploymentGate.Decide(0.1, 0.2, 0, "maybe"));

    [Fact]
    public void Decide_OnReport_UsesTheChosenMode()
    {
        VariantScore S(int strict, int flexible) => new(strict / 10.0, flexible / 10.0, strict, flexible, 10, 0, 0, 1, 0);
        var report = new EvalReport("m", [new AdapterRef("adapter", "a")], null, 10, 0,
            new DecodingSettings(true, 0, 1, null, 8, 4, []), "chatml", "cpu",
            new Dictionary<string, VariantScore> { ["base"] = S(0, 5), ["adapter"] = S(4, 4) }, new Dictionary<string, string>());
        Assert.Equal(GateOutcome.Deploy, DeploymentGate.Decide(report, "adapter", mode: ExtractionMode.Strict).Outcome);
        Assert.Equal(GateOutcome.Fail, DeploymentGate.Decide(report, "adapter", onFail: "fail").Outcome);
        Assert.Throws<KeyNotFoundException>(() => DeploymentGate.Decide(report, "epoch-9"));
    }
}
