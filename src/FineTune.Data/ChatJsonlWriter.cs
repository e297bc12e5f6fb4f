using System.Buffers;

namespace FineTune.Data;

/// <summary>Writes examples as normalized chat JSONL (<see cref="ChatJsonl"/>) to a stream, buffered.</summary>
public sealed class ChatJsonlWriter(Stream output) : IExampleWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);

    public long Written { get; private set; }

    public void Write(ChatExample example, long line)
    {
        ChatJsonl.WriteLine(example, _buffer);
        Written++;
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_buffer.WrittenCount == 0) return;
        await output.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        _buffer.ResetWrittenCount();
    }
}
