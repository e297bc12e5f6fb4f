using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace FineTune.Host.WebConsole;

/// <summary>
/// The console's static files, embedded in this assembly as <c>console/…</c> resources (see FineTune.Host.csproj) and
/// read once at start-up. Served with a content hash as ETag (a revalidated request costs a 304), no-cache so a new
/// build is picked up at once, and a Content-Security-Policy that allows this origin only.
/// </summary>
public sealed class ConsoleAssets
{
    public const string IndexFile = "index.html";
    private const string Prefix = "console/";

    /// <summary>Scripts, styles, images and API calls from this origin only; no inline script, no frames.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    private static readonly FrozenDictionary<string, string> Types = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
        [".json"] = "application/json",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, (byte[] Bytes, string Type, string ETag)> _files;

    private ConsoleAssets(FrozenDictionary<string, (byte[], string, string)> files) => _files = files;

    public IEnumerable<string> Files => _files.Keys;

    public static ConsoleAssets FromAssembly(Assembly? assembly = null)
    {
        assembly ??= typeof(ConsoleAssets).Assembly;
        var files = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var type = Types.GetValueOrDefault(Path.GetExtension(resource), "application/octet-stream");
            files[resource[Prefix.Length..]] = (bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"");
        }
        if (!files.ContainsKey(IndexFile))
            throw new InvalidOperationException($"the console's {IndexFile} is not embedded in {assembly.GetName().Name}");
        return new ConsoleAssets(files.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public async Task WriteAsync(HttpContext http, string file)
    {
        var response = http.Response;
        if (!_files.TryGetValue(file, out var asset))
        {
            await Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found").ExecuteAsync(http);
            return;
        }
        var headers = response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (http.Request.Headers.IfNoneMatch == asset.ETag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        response.ContentType = asset.Type;
        response.ContentLength = asset.Bytes.Length;
        await response.Body.WriteAsync(asset.Bytes, http.RequestAborted);
    }
}
