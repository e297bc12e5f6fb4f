using System.Buffers;
using System.Text.Json;

namespace FineTune.Data;

/// <summary>
/// Base of the JSONL writers: each example becomes one compact JSON line in a buffer that
/// <see cref="FlushAsync"/> hands to the stream. One <see cref="Utf8JsonWriter"/> is reused.
/// </summary>
public abstract class BufferedExampleWriter : IExampleWriter
{
    private readonly Stream _output;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly Utf8JsonWriter _json;

    protected BufferedExampleWriter(Stream output)
    {
        _output = output;
        _json = new Utf8JsonWriter(_buffer, ChatJsonl.WriterOptions);
    }

    public long Written { get; private set; }

    public void Write(ChatExample example, long line)
    {
        _json.Reset(_buffer);
        WriteObject(_json, example);
        _json.Flush();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        Written++;
    }

    /// <summary>Writes one example as a JSON object.</summary>
    protected abstract void WriteObject(Utf8JsonWriter json, ChatExample example);

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_buffer.WrittenCount == 0) return;
        await _output.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        _buffer.ResetWrittenCount();
    }

    /// <summary>A writer for <paramref name="format"/>: chat, alpaca or sharegpt JSONL.</summary>
    public static BufferedExampleWriter For(DataFormat format, Stream output) => format switch
    {
        DataFormat.Chat => new ChatJsonlWriter(output),
        DataFormat.Alpaca => new AlpacaWriter(output),
        DataFormat.ShareGpt => new ShareGptWriter(output),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "pick chat, alpaca or sharegpt"),
    };
}
