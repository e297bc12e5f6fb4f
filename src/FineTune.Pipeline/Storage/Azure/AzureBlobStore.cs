using System.Globalization;
using System.Runtime.CompilerServices;
using global::Azure.Core;
using global::Azure.Core.Pipeline;
using static FineTune.Pipeline.Storage.Azure.StorageRest;

namespace FineTune.Pipeline.Storage.Azure;

/// <summary>
/// The Blob service over REST (https://learn.microsoft.com/rest/api/storageservices/blob-service-rest-api):
/// block blobs written in one Put Blob, conditional headers, leases, container listing with markers.
/// </summary>
public sealed class AzureBlobStore(Uri endpoint, HttpPipeline pipeline) : IBlobStore
{
    public async Task CreateContainerAsync(string container, CancellationToken ct = default)
    {
        using var message = Create(pipeline, RequestMethod.Put, Combine(endpoint, container, "restype=container"));
        var response = await SendRequestAsync(pipeline, message, ct);
        if (response.Status is 201 or 409) return; // 409 ContainerAlreadyExists
        throw Failure(response, $"create container {container}");
    }

    public async Task<BlobProperties?> GetPropertiesAsync(string container, string name, CancellationToken ct = default)
    {
        using var message = Create(pipeline, RequestMethod.Head, BlobUri(container, name));
        var response = await SendRequestAsync(pipeline, message, ct);
        if (response.Status == 404) return null;
        if (response.Status != 200) throw Failure(response, $"get properties {container}/{name}");
        return PropertiesFromHeaders(name, response);
    }

    public async Task<BlobDownload?> OpenReadAsync(string container, string name, CancellationToken ct = default)
    {
        var message = Create(pipeline, RequestMethod.Get, BlobUri(container, name));
        message.BufferResponse = false;
        var response = await SendRequestAsync(pipeline, message, ct);
        if (response.Status == 404)
        {
            message.Dispose();
            return null;
        }
        if (response.Status != 200)
        {
            message.Dispose();
            throw Failure(response, $"get {container}/{name}");
        }
        var stream = message.ExtractResponseContent() ?? Stream.Null;
        var properties = PropertiesFromHeaders(name, response);
        message.Dispose();
        return new BlobDownload(stream, properties);
    }

    public async Task<BlobProperties> UploadAsync(string container, string name, Stream content, BlobConditions? conditions = null,
        CancellationToken ct = default)
    {
        // Seekable content (files, buffered form uploads) streams as is; anything else is buffered to learn its length.
        Stream body = content;
        if (!content.CanSeek)
        {
            var buffer = new MemoryStream();
            await content.CopyToAsync(buffer, ct);
            buffer.Position = 0;
            body = buffer;
        }
        var length = body.Length - body.Position;
        using var message = Create(pipeline, RequestMethod.Put, BlobUri(container, name));
        message.Request.Headers.SetValue("x-ms-blob-type", "BlockBlob");
        ApplyConditions(message.Request, conditions);
        message.Request.Content = RequestContent.Create(body);
        var response = await SendRequestAsync(pipeline, message, ct);
        if (response.Status != 201) throw Failure(response, $"put {container}/{name}");
        var etag = Header(response, "ETag") ?? throw new InvalidDataException("Put Blob returned no ETag");
        var modified = Header(response, "Last-Modified") is { } lm ? DateTimeOffset.Parse(lm, CultureInfo.InvariantCulture) : DateTimeOffset.UtcNow;
        return new BlobProperties(name, etag, length, modified);
    }

    public async Task<bool> DeleteAsync(string container, string name, BlobConditions? conditions = null, CancellationToken ct = default)
    {
        using var message = Create(pipeline, RequestMethod.Delete, BlobUri(container, name));
        ApplyConditions(message.Request, conditions);
        var response = await SendRequestAsync(pipeline, message, ct);
        if (response.Status == 202) return true;
        if (response.Status == 404) return false;
        throw Failure(response, $"delete {container}/{name}");
    }

    public async IAsyncEnumerable<BlobProperties> ListAsync(string container, string? prefix = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        string? marker = null;
        do
        {
            var query = "restype=container&comp=list&maxresults=5000"
                + (prefix is null ? "" : "&prefix=" + Uri.EscapeDataString(prefix))
                + (marker is null ? "" : "&marker=" + Uri.EscapeDataString(marker));
            using var message = Create(pipeline, RequestMethod.Get, Combine(endpoint, container, query));
            var response = await SendRequestAsync(pipeline, message, ct);
            if (response.Status != 200) throw Failure(response, $"list {container}");
            var xml = Xml(response);
            foreach (var blob in xml.Descendants("Blob"))
            {
                var props = blob.Element("Properties")!;
                yield return new BlobProperties(
                    blob.Element("Name")!.Value,
                    props.Element("Etag")!.Value is var e && e.StartsWith('"') ? e : $"\"{e}\"",
                    long.Parse(props.Element("Content-Length")?.Value ?? "0", CultureInfo.InvariantCulture),
                    DateTimeOffset.Parse(props.Element("Last-Modified")!.Value, CultureInfo.InvariantCulture));
            }
            marker = xml.Root?.Element("NextMarker")?.Value;
        } while (!string.IsNullOrEmpty(marker));
    }

    public async Task<string?> TryAcquireLeaseAsync(string container, string name, TimeSpan duration, CancellationToken ct = default)
    {
        var seconds = duration == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Ceiling(duration.TotalSeconds);
        if (seconds != -1 && seconds is < 15 or > 60)
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "Azure leases last 15 to 60 seconds, or are infinite");
        using var message = Lease(container, name, "acquire");
        message.Request.Headers.SetValue("x-ms-lease-duration", seconds.ToString(CultureInfo.InvariantCulture));
        var response = await SendRequestAsync(pipeline, message, ct);
        if (response.Status == 201) return Header(response, "x-ms-lease-id");
        if (response.Status == 409) return null; // LeaseAlreadyPresent
        throw Failure(response, $"acquire lease {container}/{name}");
    }

    public async Task RenewLeaseAsync(string container, string name, string leaseId, CancellationToken ct = default)
    {
        using var message = Lease(container, name, "renew", leaseId);
        var response = await SendRequestAsync(pipeline, message, ct);
        if (response.Status != 200) throw Failure(response, $"renew lease {container}/{name}");
    }

    public async Task ReleaseLeaseAsync(string container, string name, string leaseId, CancellationToken ct = default)
    {
        using var message = Lease(container, name, "release", leaseId);
        var response = await SendRequestAsync(pipeline, message, ct);
        if (response.Status != 200) throw Failure(response, $"release lease {container}/{name}");
    }

    private HttpMessage Lease(string container, string name, string action, string? leaseId = null)
    {
        var message = Create(pipeline, RequestMethod.Put, Combine(endpoint, $"{container}/{EscapePath(name)}", "comp=lease"));
        message.Request.Headers.SetValue("x-ms-lease-action", action);
        if (leaseId is not null) message.Request.Headers.SetValue("x-ms-lease-id", leaseId);
        return message;
    }

    private Uri BlobUri(string container, string name) => Combine(endpoint, $"{container}/{EscapePath(name)}");

    private static void ApplyConditions(Request request, BlobConditions? conditions)
    {
        if (conditions is null) return;
        if (conditions.IfMatch is { } etag) request.Headers.SetValue("If-Match", etag);
        if (conditions.IfNoneMatchAny) request.Headers.SetValue("If-None-Match", "*");
        if (conditions.LeaseId is { } lease) request.Headers.SetValue("x-ms-lease-id", lease);
    }

    private static BlobProperties PropertiesFromHeaders(string name, global::Azure.Response response) => new(
        name,
        Header(response, "ETag") ?? "",
        long.Parse(Header(response, "Content-Length") ?? "0", CultureInfo.InvariantCulture),
        Header(response, "Last-Modified") is { } lm ? DateTimeOffset.Parse(lm, CultureInfo.InvariantCulture) : DateTimeOffset.MinValue);
}
