namespace FineTune.Synthesis;

/// <summary>One page of extracted text; <see cref="Number"/> is 1-based, as a reader of the document would cite it.</summary>
public sealed record DocumentPage(int Number, string Text);
