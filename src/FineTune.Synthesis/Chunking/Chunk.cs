namespace FineTune.Synthesis;

/// <summary>
/// A piece of a document sent to the model in one request. <see cref="Id"/> is stable for the same file name and
/// text (it names the chunk's checkpoint), so a restarted job finds the chunks it already paid for.
/// </summary>
public sealed record Chunk(string Id, string SourceFile, int Index, int FirstPage, int LastPage, string Text)
{
    /// <summary>"p. 3" or "pp. 3–5", for reports.</summary>
    public string PageRange => FirstPage == LastPage ? $"p. {FirstPage}" : $"pp. {FirstPage}-{LastPage}";
}
