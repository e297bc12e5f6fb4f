using System.Buffers;
using System.Text;

namespace FineTune.Data;

/// <summary>
/// A read-only stream of valid, distinct chat JSONL generated on the fly (deterministic for a seed),
/// for benchmarks and for testing that validation of multi-GB inputs stays in flat memory without
/// writing them to disk. Lines average about 1 KB: an optional system prompt, one to three turns,
/// some non-ASCII text and escapes.
/// </summary>
public sealed class SyntheticChatStream : Stream
{
    private static readonly string[] Words =
    [
        "the", "model", "learns", "from", "examples", "data", "train", "adapter", "rank", "loss", "gradient",
        "token", "batch", "epoch", "answer", "question", "résumé", "naïve", "über", "日本語", "数据", "emoji 🙂",
        "a \"quoted\" word", "tab\there", "path\\to\\file", "42", "3.14", "validation", "report", "line",
    ];

    private readonly long _length;
    private readonly Random _random;
    private readonly ArrayBufferWriter<byte> _line = new(4096);
    private readonly StringBuilder _text = new();
    private long _position;
    private int _lineOffset;
    private long _index;

    /// <param name="length">Total bytes; the stream stops at the end of the line that crosses it, so every line is whole.</param>
    public SyntheticChatStream(long length, int seed = 1)
    {
        _length = length;
        _random = new Random(seed);
    }

    public long LinesWritten => _index;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var written = 0;
        while (written < buffer.Length)
        {
            if (_lineOffset == _line.WrittenCount)
            {
                if (_position >= _length) break;
                NextLine();
            }
            var take = Math.Min(buffer.Length - written, _line.WrittenCount - _lineOffset);
            _line.WrittenSpan.Slice(_lineOffset, take).CopyTo(buffer[written..]);
            _lineOffset += take;
            written += take;
            _position += take;
        }
        return written;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    /// <summary>The next example as the generator would write it (used to build files of a given size).</summary>
    public ChatExample NextExample()
    {
        var messages = new List<ChatMessage>(7);
        if (_random.Next(3) == 0) messages.Add(new(ChatRoles.System, Sentence(8, 24)));
        var turns = 1 + _random.Next(3);
        for (var t = 0; t < turns; t++)
        {
            messages.Add(new(ChatRoles.User, $"#{_index}.{t} " + Sentence(10, 40) + "?"));
            messages.Add(new(ChatRoles.Assistant, Sentence(30, 160) + "."));
        }
        _index++;
        return new ChatExample(messages);
    }

    private void NextLine()
    {
        _line.ResetWrittenCount();
        ChatJsonl.WriteLine(NextExample(), _line);
        _lineOffset = 0;
    }

    private string Sentence(int min, int max)
    {
        _text.Clear();
        var n = _random.Next(min, max);
        for (var i = 0; i < n; i++)
        {
            if (i > 0) _text.Append(' ');
            _text.Append(Words[_random.Next(Words.Length)]);
        }
        return _text.ToString();
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
