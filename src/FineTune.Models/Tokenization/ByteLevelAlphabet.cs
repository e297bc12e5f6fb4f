namespace FineTune.Models.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ printable-char mapping used by ByteLevel pre-tokenizers and decoders: printable
/// Latin-1 bytes map to themselves, the other 68 bytes to U+0100…U+0143 in byte order (space becomes 'Ġ').
/// </summary>
internal static class ByteLevelAlphabet
{
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>Indexed by char (all mapped chars are below U+0144); -1 where a char is not a byte.</summary>
    public static readonly short[] CharToByte = BuildCharToByte();

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + next++);
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[0x144];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++) map[ByteToChar[b]] = (short)b;
        return map;
    }

    public static int ToByte(char c) => c < CharToByte.Length ? CharToByte[c] : -1;
}
