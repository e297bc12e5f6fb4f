using System.Text;

namespace FineTune.Models.Tokenization;

/// <summary>
/// Unicode NFC (canonical decomposition, canonical ordering, canonical composition, Hangul included), because
/// .NET's <see cref="string.Normalize()"/> does nothing under InvariantGlobalization, which this solution uses.
/// Text with no character that could change (all of ASCII, most CJK) is returned as is after one scan.
/// </summary>
internal static class UnicodeNfc
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Dictionary<int, byte> Ccc = BuildCcc();
    private static readonly Dictionary<int, (int First, int Second)> Decomp = BuildDecomp();
    private static readonly Dictionary<long, int> Comp = BuildComp();

    /// <summary>BMP chars that may change under NFC (decomposable, non-starter, or second of a composition).</summary>
    private static readonly bool[] MaybeChanges = BuildMaybeChanges();

    /// <summary>The same above the BMP (a few hundred code points: musical symbols, CJK compatibility, …).</summary>
    private static readonly HashSet<int> AstralMaybeChanges = BuildAstralMaybeChanges();

    private static Dictionary<int, byte> BuildCcc()
    {
        var d = new Dictionary<int, byte>();
        var r = UnicodeNfcData.CombiningClassRanges;
        for (int i = 0; i < r.Length; i += 3)
            for (int cp = r[i]; cp <= r[i + 1]; cp++) d[cp] = (byte)r[i + 2];
        return d;
    }

    private static Dictionary<int, (int, int)> BuildDecomp()
    {
        var d = new Dictionary<int, (int, int)>();
        var t = UnicodeNfcData.Decompositions;
        for (int i = 0; i < t.Length; i += 3) d[t[i]] = (t[i + 1], t[i + 2]);
        return d;
    }

    private static Dictionary<long, int> BuildComp()
    {
        var d = new Dictionary<long, int>();
        var t = UnicodeNfcData.Compositions;
        for (int i = 0; i < t.Length; i += 3) d[((long)t[i] << 21) | (uint)t[i + 1]] = t[i + 2];
        return d;
    }

    private static bool[] BuildMaybeChanges()
    {
        var m = new bool[0x10000];
        foreach (var cp in Ccc.Keys) if (cp < 0x10000) m[cp] = true;
        foreach (var cp in Decomp.Keys) if (cp < 0x10000) m[cp] = true;
        var t = UnicodeNfcData.Compositions;
        for (int i = 1; i < t.Length; i += 3) if (t[i] < 0x10000) m[t[i]] = true;
        for (int cp = VBase; cp < VBase + VCount; cp++) m[cp] = true;
        for (int cp = TBase + 1; cp < TBase + TCount; cp++) m[cp] = true;
        return m;
    }

    private static HashSet<int> BuildAstralMaybeChanges()
    {
        var set = new HashSet<int>(Ccc.Keys.Concat(Decomp.Keys).Where(cp => cp >= 0x10000));
        var t = UnicodeNfcData.Compositions;
        for (int i = 1; i < t.Length; i += 3) if (t[i] >= 0x10000) set.Add(t[i]);
        return set;
    }

    private static int CombiningClass(int cp) => cp < 0x300 ? 0 : Ccc.TryGetValue(cp, out var c) ? c : 0;

    public static string Normalize(string s)
    {
        int i = 0;
        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (c < 0x300) continue;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                if (AstralMaybeChanges.Contains(char.ConvertToUtf32(c, s[i + 1]))) break;
                i++;
                continue;
            }
            if (MaybeChanges[c]) break;
        }
        return i == s.Length ? s : Full(s);
    }

    private static string Full(string s)
    {
        var cps = new List<int>(s.Length + 8);
        foreach (var rune in s.EnumerateRunes())
            Decompose(rune.Value, cps);
        Reorder(cps);
        Compose(cps);
        var sb = new StringBuilder(cps.Count);
        foreach (var cp in cps)
        {
            if (cp < 0x10000) sb.Append((char)cp);
            else sb.Append(char.ConvertFromUtf32(cp));
        }
        return sb.ToString();
    }

    private static void Decompose(int cp, List<int> output)
    {
        if (cp >= SBase && cp < SBase + SCount)
        {
            int index = cp - SBase;
            output.Add(LBase + index / NCount);
            output.Add(VBase + index % NCount / TCount);
            if (index % TCount != 0) output.Add(TBase + index % TCount);
            return;
        }
        if (Decomp.TryGetValue(cp, out var d))
        {
            Decompose(d.First, output);
            if (d.Second != 0) Decompose(d.Second, output);
            return;
        }
        output.Add(cp);
    }

    /// <summary>Canonical ordering: stable sort of each run of non-starters by combining class.</summary>
    private static void Reorder(List<int> cps)
    {
        for (int i = 1; i < cps.Count; i++)
        {
            int c = CombiningClass(cps[i]);
            if (c == 0) continue;
            int j = i;
            int cp = cps[i];
            while (j > 0 && CombiningClass(cps[j - 1]) > c)
            {
                cps[j] = cps[j - 1];
                j--;
            }
            cps[j] = cp;
        }
    }

    private static int ComposePair(int a, int b)
    {
        if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
            return SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
        if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
            return a + (b - TBase);
        return Comp.TryGetValue(((long)a << 21) | (uint)b, out var c) ? c : -1;
    }

    private static void Compose(List<int> cps)
    {
        if (cps.Count == 0) return;
        int starterPos = 0;
        int starter = cps[0];
        int lastClass = CombiningClass(starter) == 0 ? 0 : 256;
        int write = 1;
        for (int read = 1; read < cps.Count; read++)
        {
            int cp = cps[read];
            int cls = CombiningClass(cp);
            int composite = lastClass < 256 ? ComposePair(starter, cp) : -1;
            if (composite >= 0 && (lastClass < cls || lastClass == 0))
            {
                cps[starterPos] = composite;
                starter = composite;
                continue;
            }
            if (cls == 0)
            {
                starterPos = write;
                starter = cp;
            }
            lastClass = cls;
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }
}
