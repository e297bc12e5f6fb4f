using System.Text;
using FineTune.Data;

namespace FineTune.Data.Tests;

/// <summary>Checking on several threads must give exactly the report and output of checking on one.</summary>
[Collection(nameof(HashAndMemoryTests))]
public class ParallelCheckTests
{
    private static async Task<(string Report, byte[] Kept)> RunAsync(byte[] input, ValidationOptions options)
    {
        var kept = new MemoryStream();
        var report = await DatasetValidator.ValidateAsync(new MemoryStream(input), options, kept);
        return (ValidationReportJson.Serialize(report), kept.ToArray());
    }

    private static byte[] MixedInput(int seed, int lines)
    {
        var random = new Random(seed);
        var sb = new StringBuilder();
        for (var i = 0; i < lines; i++)
        {
            var r = random.Next(20);
            sb.Append(r switch
            {
                0 => "{broken",
                1 => """{"messages":[{"role":"user","content":"q"}]}""",
                2 => TestData.GoodLine(i % 7),                                   // duplicates
                3 => """{"messages":[{"role":"user","content":"Q 1?"},{"role":"assistant","content":"ANSWER 1."}],"x":1}""",
                4 => "",
                5 => """{"messages":[{"role":"user","content":42},{"role":"bot","content":"a"}]}""",
                _ => TestData.GoodLine(1000 + i),
            });
            sb.Append(random.Next(4) == 0 ? "\r\n" : "\n");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [Theory]
    [InlineData(1, ValidationMode.Lenient, DataFormat.Auto)]
    [InlineData(2, ValidationMode.Strict, DataFormat.Chat)]
    [InlineData(3, ValidationMode.Lenient, DataFormat.Chat)]
    public async Task Validate_ParallelAndSerial_SameReportAndOutput(int seed, ValidationMode mode, DataFormat format)
    {
        var input = MixedInput(seed, 5000);
        var before = Interlocked.Read(ref JsonlRecordReader.ParallelRecords);
        var serial = await RunAsync(input, new ValidationOptions { Mode = mode, Format = format, Parallelism = 1, MaxTokens = 30 });
        var parallel = await RunAsync(input, new ValidationOptions { Mode = mode, Format = format, Parallelism = 4, MaxTokens = 30 });
        Assert.True(Interlocked.Read(ref JsonlRecordReader.ParallelRecords) - before > 4000, "the parallel path did not run");
        Assert.Equal(serial.Report, parallel.Report);
        Assert.Equal(serial.Kept, parallel.Kept);
    }

    [Fact]
    public async Task Validate_ParallelOnMutatedInputs_SameAsSerial()
    {
        var random = new Random(99);
        var good = MixedInput(7, 400);
        for (var round = 0; round < 40; round++)
        {
            var bytes = (byte[])good.Clone();
            for (var k = random.Next(1, 30); k > 0; k--)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            var serial = await RunAsync(bytes, new ValidationOptions { Mode = ValidationMode.Lenient, Parallelism = 1 });
            var parallel = await RunAsync(bytes, new ValidationOptions { Mode = ValidationMode.Lenient, Parallelism = 3 });
            Assert.Equal(serial.Report, parallel.Report);
            Assert.Equal(serial.Kept, parallel.Kept);
        }
    }
}
