namespace FineTune.Data.Tests;

/// <summary>head, then prefix, then `count` copies of one byte, then tail — generated on the fly, never held in memory.</summary>
internal sealed class PatternStream(byte[] head, byte[] prefix, byte fill, long count, byte[] tail) : Stream
{
    private long _position;
    private readonly long _length = head.Length + prefix.Length + count + tail.Length;

    public override int Read(byte[] buffer, int offset, int length) => Read(buffer.AsSpan(offset, length));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, _length - _position);
        for (var i = 0; i < n; i++)
        {
            var p = _position + i;
            if (p < head.Length) buffer[i] = head[p];
            else if ((p -= head.Length) < prefix.Length) buffer[i] = prefix[p];
            else if ((p -= prefix.Length) < count)
            {
                var run = (int)Math.Min(n - i, count - p);
                buffer.Slice(i, run).Fill(fill);
                i += run - 1;
            }
            else buffer[i] = tail[p - count];
        }
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
