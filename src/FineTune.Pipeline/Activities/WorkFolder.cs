namespace FineTune.Pipeline.Activities;

/// <summary>A job's local work folder (under PipelineOptions.WorkDirectory), shared with the local trainer and removed when the job ends.</summary>
public static class WorkFolder
{
    public static string For(string root, string jobId) =>
        Path.Combine(root, string.Concat(jobId.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_')));

    /// <summary>A fresh subfolder for one activity attempt (a retried attempt never sees a half-written file of the last).</summary>
    public static string NewAttempt(string root, string jobId, string activity)
    {
        var folder = Path.Combine(For(root, jobId), $"{activity}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static void Delete(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // removed on the next start-up sweep
        }
    }
}
