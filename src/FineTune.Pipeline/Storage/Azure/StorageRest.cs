using System.Xml.Linq;
using global::Azure;
using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FineTune.Pipeline.Storage.Azure;

/// <summary>Request building and error mapping shared by the Blob and Queue clients.</summary>
internal static class StorageRest
{
    public static HttpMessage Create(HttpPipeline pipeline, RequestMethod method, Uri uri)
    {
        var message = pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(uri);
        message.Request.Headers.SetValue("x-ms-version", StoragePipeline.ServiceVersion);
        return message;
    }

    public static async Task<Response> SendRequestAsync(HttpPipeline pipeline, HttpMessage message, CancellationToken ct)
    {
        await pipeline.SendAsync(message, ct);
        return message.Response;
    }

    public static string? Header(Response response, string name) => response.Headers.TryGetValue(name, out var value) ? value : null;

    public static string ErrorCode(Response response) => Header(response, "x-ms-error-code") ?? "";

    /// <summary>Maps an unexpected status to the storage exceptions the interfaces promise.</summary>
    public static Exception Failure(Response response, string operation)
    {
        var code = ErrorCode(response);
        var text = $"{operation}: HTTP {response.Status} {code}".TrimEnd();
        return response.Status switch
        {
            404 => new StorageNotFoundException(text),
            409 or 412 => new StorageConflictException(text),
            _ => new StorageException(text, response.Status, code),
        };
    }

    public static Uri Combine(Uri endpoint, string path, string? query = null)
    {
        var baseText = endpoint.ToString().TrimEnd('/');
        return new Uri(query is null ? $"{baseText}/{path}" : $"{baseText}/{path}?{query}");
    }

    public static string EscapePath(string name) => string.Join('/', name.Split('/').Select(Uri.EscapeDataString));

    public static XDocument Xml(Response response) => XDocument.Load(response.ContentStream ?? Stream.Null);
}
