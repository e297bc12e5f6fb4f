namespace FineTune.Models.Tokenization;

/// <summary>
/// An entry of tokenizer.json's <c>added_tokens</c>: matched in the raw text before normalization and
/// pre-tokenization (so <c>&lt;|im_start|&gt;</c> is one id, never split). <see cref="Special"/> tokens are dropped
/// by <c>Decode(skipSpecial: true)</c>.
/// </summary>
public sealed record AddedToken(
    int Id,
    string Content,
    bool Special,
    bool LStrip = false,
    bool RStrip = false,
    bool SingleWord = false,
    bool Normalized = false);
