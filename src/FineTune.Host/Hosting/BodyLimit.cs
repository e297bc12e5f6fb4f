namespace FineTune.Host.Hosting;

/// <summary>
/// Endpoint metadata: which of <see cref="RequestLimits"/> caps the request body. Endpoints without it take
/// <see cref="Chat"/> under /v1 and <see cref="Api"/> elsewhere; the Durable sidecar's gRPC endpoint takes <see cref="None"/> (Kestrel's server-wide limit only).
/// </summary>
public sealed class BodyLimit
{
    private readonly Func<RequestLimits, long>? _limit;
    private readonly Func<RequestLimits, long>? _multipart;

    private BodyLimit(string setting, Func<RequestLimits, long>? limit, string? multipartSetting = null, Func<RequestLimits, long>? multipart = null)
    {
        Setting = setting;
        _limit = limit;
        MultipartSetting = multipartSetting;
        _multipart = multipart;
    }

    public static BodyLimit Api { get; } = new("Limits:ApiRequestBytes", l => l.ApiRequestBytes);
    public static BodyLimit Chat { get; } = new("Limits:ChatRequestBytes", l => l.ChatRequestBytes);
    public static BodyLimit ConsoleUpload { get; } = new("Limits:ConsoleUploadBytes", l => l.ConsoleUploadBytes);
    /// <summary>JSON bodies take the API limit; multipart uploads the upload limit.</summary>
    public static BodyLimit JobSubmission { get; } = new("Limits:ApiRequestBytes", l => l.ApiRequestBytes, "Limits:UploadBytes", l => l.UploadBytes);
    public static BodyLimit None { get; } = new("", null);

    public string Setting { get; }
    public string? MultipartSetting { get; }

    /// <summary>The byte limit for this request and the setting that sets it; null when the endpoint sets none.</summary>
    public (long Bytes, string Setting)? For(RequestLimits limits, bool multipart) =>
        _limit is null ? null
        : multipart && _multipart is not null ? (_multipart(limits), MultipartSetting!)
        : (_limit(limits), Setting);
}
