using System.Security.Cryptography;

namespace FineTune.Data;

/// <summary>Reads the input once, hashing (SHA-256) and counting every byte on the way.</summary>
internal sealed class InputSource(Stream stream) : IDisposable
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long Bytes { get; private set; }
    public bool Eof { get; private set; }

    public async ValueTask<int> ReadAsync(Memory<byte> into, CancellationToken cancellationToken)
    {
        if (Eof || into.Length == 0) return 0;
        var n = await stream.ReadAsync(into, cancellationToken).ConfigureAwait(false);
        if (n == 0) { Eof = true; return 0; }
        _sha256.AppendData(into.Span[..n]);
        Bytes += n;
        return n;
    }

    /// <summary>Reads until <paramref name="into"/> is full or the input ends.</summary>
    public async ValueTask<int> FillAsync(Memory<byte> into, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < into.Length && await ReadAsync(into[total..], cancellationToken).ConfigureAwait(false) is var n and > 0)
            total += n;
        return total;
    }

    /// <summary>Reads (and hashes) the rest of the input without looking at it.</summary>
    public async ValueTask DrainAsync(byte[] scratch, CancellationToken cancellationToken)
    {
        while (await ReadAsync(scratch, cancellationToken).ConfigureAwait(false) > 0) { }
    }

    public string Sha256Hex() => Convert.ToHexStringLower(_sha256.GetCurrentHash());

    public void Dispose() => _sha256.Dispose();
}
