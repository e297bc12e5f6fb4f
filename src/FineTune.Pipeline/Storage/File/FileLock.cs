namespace FineTune.Pipeline.Storage.File;

/// <summary>
/// A short cross-process critical section: an exclusive open of a lock file (.NET takes flock(LOCK_EX) for
/// FileShare.None on Unix), one of 64 stripes chosen by key. Held only around check-and-rename steps.
/// </summary>
internal static class FileLock
{
    private const int Stripes = 64;

    public static async Task<IDisposable> AcquireAsync(string lockDirectory, string key, CancellationToken ct)
    {
        var stripe = (uint)StableHash(key) % Stripes;
        var path = Path.Combine(lockDirectory, $"{stripe:D2}.lock");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(attempt < 10 ? 1 : 5, ct);
            }
            catch (DirectoryNotFoundException)
            {
                Directory.CreateDirectory(lockDirectory);
            }
        }
    }

    private static int StableHash(string key)
    {
        unchecked
        {
            var hash = (int)2166136261;
            foreach (var c in key) hash = (hash ^ c) * 16777619;
            return hash & int.MaxValue;
        }
    }
}
