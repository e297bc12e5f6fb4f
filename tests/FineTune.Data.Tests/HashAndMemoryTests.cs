using FineTune.Data;

namespace FineTune.Data.Tests;

/// <summary>Runs alone: the memory test measures the whole process's heap.</summary>
[CollectionDefinition(nameof(HashAndMemoryTests), DisableParallelization = true)]
public class HashAndMemoryCollection;

[Collection(nameof(HashAndMemoryTests))]
public class HashAndMemoryTests
{
    [Theory]
    [InlineData("", 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0x44BC2CF5AD770999UL)]
    [InlineData("Nobody inspects the spammish repetition", 0xFBCEA83C8A378BF1UL)]
    public void XxHash64_KnownVectors(string input, ulong expected) =>
        Assert.Equal(expected, System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.ASCII.GetBytes(input)));

    /// <summary>
    /// The duplicate hashes and content hashes of fixed examples, as the hand-written XXH64 computed them before
    /// System.IO.Hashing replaced it (short and over-32-byte contents, seeds with the top bit set, non-ASCII text).
    /// </summary>
    [Fact]
    public void ExampleHasher_FixedExamples_SameHashesAsBefore()
    {
        ChatExample[] examples =
        [
            ChatExample.Of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello!")),
            ChatExample.Of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "What  is the CAPITAL of France?\tPlease answer in one word, thank you very much."),
                new ChatMessage("assistant", "Paris — déjà vu, ünïcödé and 中文 too: " + new string('x', 100))),
        ];
        (ulong Exact, ulong Normalized, ulong Content)[] expected =
        [
            (0x10F41B1EC1A764ADUL, 0xBEFB301EF8ECBF8DUL, 0xD282717AD4C8049DUL),
            (0x954818AB93B21A61UL, 0xE0B23870CE669FD2UL, 0x191D2F39AFE5AF0BUL),
        ];
        var hasher = new ExampleHasher();
        for (int i = 0; i < examples.Length; i++)
        {
            var (exact, normalized) = hasher.Hash(examples[i]);
            Assert.Equal(expected[i], (exact, normalized, ContentHash.Of(examples[i])));
        }
    }

    [Fact]
    public void Normalize_CaseWhitespaceAndLatin1()
    {
        var hasher = new ExampleHasher();
        Assert.Equal("hello wörld ümlaut x", hasher.Normalize("  Hello\t\n WÖRLD\u00A0\u3000Ümlaut   X  ").ToString());
        var longText = string.Concat(Enumerable.Repeat("ABC  Déf\t", 50));
        Assert.Equal(string.Join(" ", Enumerable.Repeat("abc déf", 50)), hasher.Normalize(longText).ToString());
        Assert.Equal("×", hasher.Normalize("×").ToString());
    }

    [Fact]
    public async Task Validate_LargeGeneratedStream_MemoryStaysFlat()
    {
        const long size = 96_000_000;
        using var stream = new SyntheticChatStream(size, seed: 7);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        // The kernel's own peak: reset the high-water mark to the current resident size, run, read the peak back. No
        // sampling, so no short spike between samples goes unseen (this class runs alone, so the peak is the validator's).
        var baseline = ResetPeakResidentBytes();
        var report = await DatasetValidator.ValidateAsync(stream, new ValidationOptions());
        var peak = StatusBytes("VmHWM");

        Assert.True(report.Usable);
        Assert.Equal(stream.LinesWritten, report.ValidExamples);
        Assert.True(report.Bytes >= size);
        // The input is ~96 MB; holding it would need twice that (UTF-16 strings). What remains is the GC's young
        // generation and buffers, with a wide margin for another CPU's cache size (the gen0 budget follows it).
        Assert.True(peak - baseline < 64_000_000, $"peak resident memory grew by {(peak - baseline) / 1e6:F1} MB over {baseline / 1e6:F1} MB");
    }

    /// <summary>Resets VmHWM to VmRSS (Linux: "5" into /proc/self/clear_refs) and returns that resident size.</summary>
    private static long ResetPeakResidentBytes()
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        return StatusBytes("VmHWM");
    }

    /// <summary>A size line of /proc/self/status ("VmHWM:   123456 kB") in bytes.</summary>
    private static long StatusBytes(string field)
    {
        var line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]) * 1024;
    }
}
