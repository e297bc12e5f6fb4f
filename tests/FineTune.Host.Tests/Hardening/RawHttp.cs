using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace FineTune.Host.Tests.Hardening;

/// <summary>
/// One HTTP/1.1 POST over a plain socket whose body is generated while it is sent (never held in memory), with the
/// response read while the body is still going out: how a test sees a server answer a huge body before taking it all.
/// </summary>
public static class RawHttp
{
    public sealed record Response(int Status, IReadOnlyDictionary<string, string> Headers, string Body);

    /// <param name="prefix">The body's first bytes; the rest, up to <paramref name="size"/>, is the letter 'a'.</param>
    /// <param name="chunked">Transfer-Encoding: chunked (no Content-Length) instead of a Content-Length.</param>
    public static async Task<Response> PostAsync(Uri server, string path, string prefix, long size, bool chunked, TimeSpan timeout,
        string contentType = "application/json")
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        await using var stream = client.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: {contentType}\r\n" +
                   (chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {size}\r\n") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var stop = new CancellationTokenSource(timeout);
        var sending = SendBodyAsync(stream, Encoding.UTF8.GetBytes(prefix), size, chunked, stop.Token);
        var response = await ReadResponseAsync(stream, stop.Token);
        await stop.CancelAsync();
        await sending;
        return response;
    }

    private static async Task SendBodyAsync(Stream stream, byte[] prefix, long size, bool chunked, CancellationToken ct)
    {
        var filler = new byte[64 * 1024];
        Array.Fill(filler, (byte)'a');
        try
        {
            await WriteAsync(prefix);
            for (var sent = (long)prefix.Length; sent < size;)
            {
                var n = (int)Math.Min(filler.Length, size - sent);
                await WriteAsync(filler.AsMemory(0, n));
                sent += n;
            }
            if (chunked) await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), ct);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The server answered and closed the connection (or the test stopped sending): the rest is never sent.
        }

        async Task WriteAsync(ReadOnlyMemory<byte> data)
        {
            if (chunked) await stream.WriteAsync(Encoding.ASCII.GetBytes($"{data.Length:x}\r\n"), ct);
            await stream.WriteAsync(data, ct);
            if (chunked) await stream.WriteAsync("\r\n"u8.ToArray(), ct);
        }
    }

    private static async Task<Response> ReadResponseAsync(Stream stream, CancellationToken ct)
    {
        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        int headEnd;
        while ((headEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
            received.AddRange(buffer.AsSpan(0, await ReadSomeAsync(stream, buffer, ct)).ToArray());
        var lines = Encoding.ASCII.GetString(received.GetRange(0, headEnd).ToArray()).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var body = received.GetRange(headEnd + 4, received.Count - headEnd - 4);
        async Task<bool> More()
        {
            try
            {
                var n = await stream.ReadAsync(buffer, ct);
                body.AddRange(buffer.AsSpan(0, n).ToArray());
                return n > 0;
            }
            catch (IOException) { return false; }
        }
        if (headers.TryGetValue("Content-Length", out var length))
        {
            while (body.Count < int.Parse(length, CultureInfo.InvariantCulture) && await More()) { }
            return new Response(status, headers, Encoding.UTF8.GetString(body.ToArray()));
        }
        if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (IndexOf(body, "0\r\n\r\n"u8) < 0 && await More()) { }
            return new Response(status, headers, Dechunk(body.ToArray()));
        }
        while (await More()) { }
        return new Response(status, headers, Encoding.UTF8.GetString(body.ToArray()));
    }

    private static async Task<int> ReadSomeAsync(Stream stream, byte[] buffer, CancellationToken ct)
    {
        var n = await stream.ReadAsync(buffer, ct);
        return n > 0 ? n : throw new IOException("the server closed the connection before answering");
    }

    private static string Dechunk(byte[] data)
    {
        var text = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = IndexOf(data.Skip(at).ToList(), "\r\n"u8) + at;
            var size = int.Parse(Encoding.ASCII.GetString(data, at, lineEnd - at).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0) return text.ToString();
            text.Append(Encoding.UTF8.GetString(data, lineEnd + 2, size));
            at = lineEnd + 2 + size + 2;
        }
    }

    private static int IndexOf(List<byte> data, ReadOnlySpan<byte> pattern) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(data).IndexOf(pattern);
}
