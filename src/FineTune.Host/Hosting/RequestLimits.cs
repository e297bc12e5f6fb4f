using System.ComponentModel.DataAnnotations;

namespace FineTune.Host.Hosting;

/// <summary>
/// How much one request may send and how many job submissions the host takes: configuration section "Limits"
/// (Limits__X in local.settings.json Values or the environment). A body over its route's limit is refused with 413 before it
/// is read (Content-Length) or as soon as it passes the limit (chunked); a submission beyond the window's permits gets 429.
/// </summary>
public sealed class RequestLimits
{
    public const string Section = "Limits";

    /// <summary>POST /v1/chat/completions (and any other /v1 body).</summary>
    [Range(1024, long.MaxValue)] public long ChatRequestBytes { get; set; } = 4L << 20;
    /// <summary>JSON and other small bodies on /api (a job submission naming a blob, events, the console's helpers).</summary>
    [Range(1024, long.MaxValue)] public long ApiRequestBytes { get; set; } = 1L << 20;
    /// <summary>A multipart upload to POST /api/jobs: the form's files are spooled to disk, then streamed to storage.</summary>
    [Range(1024, long.MaxValue)] public long UploadBytes { get; set; } = 4L << 30;
    /// <summary>The console's dataset check and dataset upload (POST /api/validate, POST /api/datasets): streamed, never held whole.</summary>
    [Range(1024, long.MaxValue)] public long ConsoleUploadBytes { get; set; } = 512L << 20;
    /// <summary>Job submissions (POST /api/jobs, POST /api/datasets) the host accepts per <see cref="JobSubmissionWindow"/>, from all callers together.</summary>
    [Range(1, int.MaxValue)] public int JobSubmissions { get; set; } = 60;
    public TimeSpan JobSubmissionWindow { get; set; } = TimeSpan.FromMinutes(1);
}
