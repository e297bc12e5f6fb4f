using System.Text;
using FineTune.Data;

namespace FineTune.Data.Tests;

public class PreparationTests
{
    private static List<ChatExample> Examples(int n, string tag = "t") =>
        Enumerable.Range(0, n).Select(i => ChatExample.Of(new("user", $"{tag} question {i}"), new("assistant", $"{tag} answer {i}"))).ToList();

    [Fact]
    public void Split_SameExamples_SameSideEveryTimeAndInAnyOrder()
    {
        var examples = Examples(2000);
        var first = examples.Where(e => DatasetSplit.IsValidation(e, 0.1)).Select(ChatJsonl.ToJsonLine).ToHashSet();
        var reversed = Enumerable.Reverse(examples).Where(e => DatasetSplit.IsValidation(e, 0.1)).Select(ChatJsonl.ToJsonLine).ToHashSet();
        Assert.Equal(first, reversed);
        Assert.InRange(first.Count, 150, 250);   // 10% of 2000, binomial spread
    }

    [Fact]
    public void Split_DifferentSalt_DifferentSplit()
    {
        var examples = Examples(500);
        var a = examples.Select(e => DatasetSplit.IsValidation(e, 0.5)).ToArray();
        var b = examples.Select(e => DatasetSplit.IsValidation(e, 0.5, "other")).ToArray();
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Split_FractionBounds_ZeroNoneOneAllOutsideThrows()
    {
        var e = Examples(1)[0];
        Assert.False(DatasetSplit.IsValidation(e, 0));
        Assert.True(DatasetSplit.IsValidation(e, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.IsValidation(e, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.IsValidation(e, double.NaN));
    }

    [Fact]
    public async Task SplitAsync_StreamsKeepEveryExampleOnce()
    {
        var examples = Examples(300);
        var input = new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", examples.Select(ChatJsonl.ToJsonLine))));
        var train = new MemoryStream();
        var validation = new MemoryStream();
        var (t, v) = await DatasetSplit.SplitAsync(input, train, validation, 0.2);
        var lines = Encoding.UTF8.GetString(train.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Concat(Encoding.UTF8.GetString(validation.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(300, t + v);
        Assert.Equal(examples.Select(ChatJsonl.ToJsonLine).Order(StringComparer.Ordinal).ToArray(), lines);
        Assert.Equal(examples.Count(e => DatasetSplit.IsValidation(e, 0.2)), v);
    }

    [Fact]
    public async Task SplitWriter_InOneValidationPass()
    {
        var train = new MemoryStream();
        var validation = new MemoryStream();
        var splitter = new SplitWriter(new ChatJsonlWriter(train), new ChatJsonlWriter(validation), 0.3);
        var report = await DatasetValidator.ValidateAsync(new MemoryStream(Encoding.UTF8.GetBytes(TestData.GoodLines(100))), new ValidationOptions(), splitter);
        Assert.Equal(100, report.ValidExamples);
        Assert.Equal(100, splitter.Train + splitter.Validation);
        Assert.InRange(splitter.Validation, 10, 50);
        Assert.Equal(splitter.Validation, Encoding.UTF8.GetString(validation.ToArray()).Count(c => c == '\n'));
    }

    [Fact]
    public void Mix_ByFraction_TakesTheRightCountDeterministicallyWhateverTheGeneralOrder()
    {
        var task = Examples(80, "task");
        var general = Examples(1000, "general");
        var options = new MixOptions { GeneralFraction = 0.2 };
        var a = DatasetMixer.Mix(task, general, options);
        var b = DatasetMixer.Mix(task, Enumerable.Reverse(general), options);
        Assert.Equal((80L, 20L, 1000L), (a.Task, a.General, a.GeneralAvailable));
        Assert.Equal(100, a.Examples.Count);
        Assert.Equal(a.Examples.Select(ChatJsonl.ToJsonLine), b.Examples.Select(ChatJsonl.ToJsonLine));
        Assert.Equal(20, a.Examples.Count(e => e.Messages[0].Content.StartsWith("general", StringComparison.Ordinal)));
        // shuffled: the task examples are not all first
        Assert.Contains(a.Examples.Take(50), e => e.Messages[0].Content.StartsWith("general", StringComparison.Ordinal));
    }

    [Fact]
    public void Mix_ByCount_MoreThanAvailableTakesAll()
    {
        var result = DatasetMixer.Mix(Examples(5), Examples(3, "g"), new MixOptions { GeneralCount = 10 });
        Assert.Equal((5L, 3L, 3L), (result.Task, result.General, result.GeneralAvailable));
    }

    [Fact]
    public void Mix_DifferentSeed_DifferentSample()
    {
        var general = Examples(1000, "g");
        var a = DatasetMixer.Mix(Examples(10), general, new MixOptions { GeneralCount = 10, Seed = "1" });
        var b = DatasetMixer.Mix(Examples(10), general, new MixOptions { GeneralCount = 10, Seed = "2" });
        Assert.NotEqual(a.Examples.Select(ChatJsonl.ToJsonLine).Order(StringComparer.Ordinal), b.Examples.Select(ChatJsonl.ToJsonLine).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void MixOptions_BothOrNeitherOrOutOfRange_Throw()
    {
        Assert.Throws<ArgumentException>(() => new MixOptions().GeneralWanted(10));
        Assert.Throws<ArgumentException>(() => new MixOptions { GeneralCount = 1, GeneralFraction = 0.1 }.GeneralWanted(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MixOptions { GeneralFraction = 1 }.GeneralWanted(10));
        Assert.Equal(30, new MixOptions { GeneralFraction = 0.75 }.GeneralWanted(10));
    }

    [Fact]
    public async Task MixAsync_WritesChatJsonl()
    {
        var task = new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", Examples(10).Select(ChatJsonl.ToJsonLine))));
        var general = new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", Examples(50, "g").Select(ChatJsonl.ToJsonLine))));
        var output = new MemoryStream();
        var result = await DatasetMixer.MixAsync(task, general, output, new MixOptions { GeneralFraction = 0.5 });
        Assert.Equal(20, result.Examples.Count);
        var report = await TestData.ValidateAsync(output.ToArray());
        Assert.Equal((true, 20L), (report.Usable, report.ValidExamples));
    }

    [Fact]
    public void Identity_Generate_FillsNameAndAuthorAndPassesRules()
    {
        var examples = IdentityData.Generate("Aster", "Contoso Labs");
        Assert.True(examples.Count >= 20);
        foreach (var e in examples)
        {
            Assert.Empty(ChatRules.Check(e, 1));
            Assert.All(e.Messages, m => Assert.DoesNotContain("{{", m.Content));
        }
        Assert.Contains(examples, e => e.Messages[1].Content.Contains("Aster") && e.Messages[1].Content.Contains("Contoso Labs"));
        Assert.Contains(examples, e => e.Messages[0].Content == "What is Aster?");
    }

    [Fact]
    public void Identity_Fill_SpacedPlaceholdersAndUnknownOnesThrow()
    {
        Assert.Equal("I am Bo by Al.", IdentityData.Fill("I am {{ name }} by {{author}}.", "Bo", "Al"));
        var ex = Assert.Throws<ArgumentException>(() => IdentityData.Fill("{{version}}", "Bo", "Al"));
        Assert.Contains("{{version}}", ex.Message);
        Assert.Throws<ArgumentException>(() => IdentityData.Generate(" ", "Al"));
    }

    [Fact]
    public async Task Store_PutTwice_SameAddressStoredOnceAndVerifiable()
    {
        var root = Path.Combine(Path.GetTempPath(), "ft-store-" + Guid.NewGuid().ToString("n"));
        try
        {
            var store = new ContentAddressedStore(root);
            var bytes = Encoding.UTF8.GetBytes(TestData.GoodLines(10));
            var first = await store.PutAsync(new MemoryStream(bytes));
            var second = await store.PutAsync(new MemoryStream(bytes));
            var report = await TestData.ValidateAsync(bytes);
            Assert.Equal(report.Sha256, first.Sha256);
            Assert.Equal((false, true), (first.AlreadyStored, second.AlreadyStored));
            Assert.Equal(first.Path, store.PathOf(first.Sha256));
            Assert.Equal(bytes, await File.ReadAllBytesAsync(first.Path));
            Assert.True(await store.VerifyAsync(first.Sha256));
            var reportPath = await store.SaveReportAsync(report);
            Assert.Equal(store.ReportPathOf(first.Sha256), reportPath);
            Assert.Equal(first.Sha256, ValidationReportJson.Deserialize(await File.ReadAllTextAsync(reportPath)).Sha256);
            Assert.Empty(Directory.GetFiles(Path.Combine(root, "incoming")));
            await File.AppendAllTextAsync(first.Path, "tampered");
            Assert.False(await store.VerifyAsync(first.Sha256));
            Assert.Throws<ArgumentException>(() => store.PathOf("../etc/passwd"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Addresses already in stores stay valid: the address is the SHA-256 of the bytes (FIPS 180-2 vector for "abc").</summary>
    [Fact]
    public async Task Store_Address_IsTheSha256OfTheBytes()
    {
        var root = Path.Combine(Path.GetTempPath(), "ft-store-" + Guid.NewGuid().ToString("n"));
        try
        {
            var stored = await new ContentAddressedStore(root).PutAsync(new MemoryStream("abc"u8.ToArray()));
            Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", stored.Sha256);
            Assert.Equal(Path.Combine(root, "sha256", "ba", stored.Sha256 + ".jsonl"), stored.Path);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void ChatJsonl_Parse_InvalidLineThrowsWithCode()
    {
        var ex = Assert.Throws<InvalidDataException>(() => ChatJsonl.Parse("""{"messages":[{"role":"user","content":"q"}]}""", 7));
        Assert.Contains("line 7: no_pair", ex.Message);
        Assert.Throws<InvalidDataException>(() => ChatJsonl.Parse("{", 1));
    }
}
