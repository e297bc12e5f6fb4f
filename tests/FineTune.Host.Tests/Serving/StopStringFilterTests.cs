using FineTune.Host.Serving;

namespace FineTune.Host.Tests.Serving;

public sealed class StopStringFilterTests
{
    [Fact]
    public void Push_StopSplitAcrossPieces_HoldsBackThenCutsBeforeIt()
    {
        var f = new StopStringFilter(["END"]);
        Assert.Equal("ab", f.Push("abE"));   // "E" might start END
        Assert.Equal("", f.Push("N"));
        Assert.Equal("", f.Push("Dxyz"));
        Assert.True(f.Stopped);
        Assert.Equal("ab", f.Text);
        Assert.Equal("", f.Push("more"));
        Assert.Equal("", f.Finish());
    }

    [Fact]
    public void Push_FalseStart_IsReleased()
    {
        var f = new StopStringFilter(["END"]);
        var output = f.Push("xE") + f.Push("Nd") + f.Push("!") + f.Finish();
        Assert.False(f.Stopped);
        Assert.Equal("xENd!", output);
        Assert.Equal(output, f.Text);
    }

    [Fact]
    public void Push_EarliestOfSeveralStops_Wins()
    {
        var f = new StopStringFilter(["zz", "b"]);
        Assert.Equal("a", f.Push("abzz"));
        Assert.Equal("a", f.Text);
    }

    [Fact]
    public void Finish_WithoutStops_ReturnsEverythingAtOnce()
    {
        var f = new StopStringFilter([]);
        Assert.Equal("hello", f.Push("hello"));
        Assert.Equal("", f.Finish());
        Assert.Equal("hello", f.Text);
    }

    [Fact]
    public void Finish_HeldBackPrefix_IsEmittedAtTheEnd()
    {
        var f = new StopStringFilter(["###"]);
        Assert.Equal("a", f.Push("a##"));
        Assert.Equal("##", f.Finish());
        Assert.Equal("a##", f.Text);
    }
}
