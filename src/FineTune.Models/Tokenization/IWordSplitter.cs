namespace FineTune.Models.Tokenization;

/// <summary>Splits a normalized text section into pre-tokens ("words"), appended as (start, length) in chars.</summary>
internal interface IWordSplitter
{
    void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> words);
}
