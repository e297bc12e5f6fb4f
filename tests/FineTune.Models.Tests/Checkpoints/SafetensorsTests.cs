using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using FineTune.Models.Checkpoints;

namespace FineTune.Models.Tests.Checkpoints;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ft-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SafetensorsTensor[] SampleTensors() =>
    [
        SafetensorsTensor.FromFloats("model.embed_tokens.weight", [2, 3], [1f, 2f, 3f, 4f, 5f, 6f]),
        new("model.norm.weight", SafetensorsDType.BF16, [2], new byte[] { 0x80, 0x3F, 0x00, 0x40 }), // 1.0, 2.0
        new("half", SafetensorsDType.F16, [1], new byte[] { 0x00, 0x3C }),
        new("positions", SafetensorsDType.I64, [2], MemoryMarshal.AsBytes<long>([7L, 9L]).ToArray()),
        new("ids", SafetensorsDType.I32, [1], MemoryMarshal.AsBytes<int>([42]).ToArray()),
        new("mask", SafetensorsDType.BOOL, [3], new byte[] { 1, 0, 1 }),
        new("bytes", SafetensorsDType.U8, [0], Array.Empty<byte>()),
    ];

    [Fact]
    public void WriteThenOpen_SingleFile_ViewsMatchWithoutCopy()
    {
        var path = Path.Combine(_dir, "model.safetensors");
        SafetensorsWriter.Write(path, SampleTensors());
        using var file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(7, file.Tensors.Count);
        var embed = file["model.embed_tokens.weight"];
        Assert.Equal(SafetensorsDType.F32, embed.DType);
        Assert.Equal([2L, 3L], embed.Shape);
        Assert.Equal(24, embed.ByteLength);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], MemoryMarshal.Cast<byte, float>(embed.Bytes).ToArray());
        Assert.Equal([7L, 9L], MemoryMarshal.Cast<byte, long>(file["positions"].Bytes).ToArray());
        Assert.Equal(new byte[] { 0x80, 0x3F, 0x00, 0x40 }, file["model.norm.weight"].Bytes.ToArray());
        Assert.Equal(0, file["bytes"].ByteLength);
        Assert.Equal(0, embed.Pointer % 4); // data start is 8-aligned and the largest dtypes come first
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0, (8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes)) % 8);
    }

    [Fact]
    public void WriteSharded_SmallLimit_WritesIndexAndCheckpointOpensAllShards()
    {
        var written = SafetensorsWriter.WriteSharded(_dir, SampleTensors(), maxShardBytes: 16);
        Assert.Contains(written, p => p.EndsWith(SafetensorsCheckpoint.IndexFileName, StringComparison.Ordinal));
        Assert.Contains(written, p => p.EndsWith("model-00001-of-0000" + (written.Count - 1) + ".safetensors", StringComparison.Ordinal));
        using var checkpoint = SafetensorsCheckpoint.Open(_dir);
        Assert.True(checkpoint.Files.Count > 1);
        Assert.Equal(7, checkpoint.Tensors.Count);
        Assert.Equal([42], MemoryMarshal.Cast<byte, int>(checkpoint["ids"].Bytes).ToArray());
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], MemoryMarshal.Cast<byte, float>(checkpoint["model.embed_tokens.weight"].Bytes).ToArray());
    }

    [Fact]
    public void WriteSharded_EverythingFits_WritesOneFileWithoutIndex()
    {
        var written = SafetensorsWriter.WriteSharded(_dir, SampleTensors(), maxShardBytes: 1 << 20);
        Assert.Equal([Path.Combine(_dir, "model.safetensors")], written);
        using var checkpoint = SafetensorsCheckpoint.Open(_dir);
        Assert.Single(checkpoint.Files);
    }

    [Fact]
    public void OpenIndex_TensorMissingFromShard_Fails()
    {
        var shard = Path.GetFileName(SafetensorsWriter.WriteSharded(_dir, SampleTensors(), maxShardBytes: 16)[0]);
        var index = Path.Combine(_dir, SafetensorsCheckpoint.IndexFileName);
        File.WriteAllText(index, File.ReadAllText(index).Replace("\"weight_map\": {", "\"weight_map\": {\n    \"ghost\": \"" + shard + "\","));
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsCheckpoint.Open(_dir));
        Assert.Contains("ghost", e.Message);
    }

    [Fact]
    public void Write_WrongByteCount_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(Path.Combine(_dir, "x.safetensors"),
            [new SafetensorsTensor("w", SafetensorsDType.F32, [2, 2], new byte[12])]));
        Assert.Contains("needs 16 bytes", e.Message);
    }

    public static TheoryData<string, int, string> BadHeaders => new()
    {
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "run past" },
        { """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "needs 12 bytes" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "overlaps" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "unused bytes" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "data section has 8" },
        { """{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}""", 1, "dtype 'Q4'" },
        { """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "non-negative" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", 4, "begin <= end" },
        { """[1,2]""", 0, "JSON object" },
        { """{"a": """, 0, "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void Open_InvalidHeader_FailsWithClearMessage(string header, int dataBytes, string expected)
    {
        var path = Path.Combine(_dir, "bad.safetensors");
        var headerBytes = Encoding.UTF8.GetBytes(header);
        using (var stream = File.Create(path))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
            stream.Write(length);
            stream.Write(headerBytes);
            stream.Write(new byte[dataBytes]);
        }
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains("bad.safetensors", e.Message);
    }

    [Fact]
    public void Open_HeaderLengthBeyondFile_Fails()
    {
        var path = Path.Combine(_dir, "short.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("runs past the end", e.Message);
    }

    [Fact]
    public void Open_EmptyFolder_SaysWhatIsMissing()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsCheckpoint.Open(_dir));
        Assert.Contains("model.safetensors", e.Message);
    }
}
