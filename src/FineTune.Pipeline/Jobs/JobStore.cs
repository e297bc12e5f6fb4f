using System.Text.Json;
using FineTune.Pipeline.Storage;

namespace FineTune.Pipeline.Jobs;

/// <summary>Reads and writes job state documents; every write is ETag-guarded and retried on a lost race.</summary>
public sealed class JobStore(IBlobStore blobs, TimeProvider time)
{
    public TimeProvider Time => time;

    /// <summary>Creates the job; when one with the id exists, returns that one and false.</summary>
    public async Task<(JobState State, bool Created)> CreateAsync(JobState state, CancellationToken ct = default)
    {
        try
        {
            await blobs.UploadBytesAsync(Containers.Jobs, JobPaths.State(state.Id), Serialize(state), BlobConditions.CreateOnly, ct);
            return (state, true);
        }
        catch (StorageConflictException)
        {
            var existing = await GetAsync(state.Id, ct) ?? throw new InvalidOperationException($"job {state.Id} exists and cannot be read");
            return (existing.State, false);
        }
    }

    public async Task<(JobState State, string ETag)?> GetAsync(string id, CancellationToken ct = default)
    {
        if (!JobPaths.IsValidId(id)) return null;
        var read = await blobs.ReadBytesAsync(Containers.Jobs, JobPaths.State(id), ct);
        if (read is null) return null;
        var state = JsonSerializer.Deserialize<JobState>(read.Value.Bytes, JobJson.Options)
            ?? throw new InvalidDataException($"job {id}: empty state document");
        return (state, read.Value.Properties.ETag);
    }

    /// <summary>
    /// Applies <paramref name="mutate"/> to a fresh copy and writes it if the document did not change meanwhile,
    /// else re-reads and tries again. <paramref name="mutate"/> returns false to write nothing. Null when the job is gone.
    /// </summary>
    public async Task<JobState?> UpdateAsync(string id, Func<JobState, bool> mutate, CancellationToken ct = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await GetAsync(id, ct);
            if (current is null) return null;
            var (state, etag) = current.Value;
            if (!mutate(state)) return state;
            state.LastUpdatedTime = time.GetUtcNow();
            try
            {
                await blobs.UploadBytesAsync(Containers.Jobs, JobPaths.State(id), Serialize(state), BlobConditions.Matching(etag), ct);
                return state;
            }
            catch (StorageConflictException) when (attempt < 50)
            {
                await Task.Delay(Random.Shared.Next(1, 10 + attempt * 5), ct);
            }
        }
    }

    /// <summary>All jobs, newest first; optionally only those in <paramref name="statuses"/>.</summary>
    public async Task<IReadOnlyList<JobState>> ListAsync(IReadOnlySet<RuntimeStatus>? statuses = null, CancellationToken ct = default)
    {
        var jobs = new List<JobState>();
        await foreach (var blob in blobs.ListAsync(Containers.Jobs, ct: ct))
        {
            if (!blob.Name.EndsWith("/state.json", StringComparison.Ordinal) || blob.Name.Count(c => c == '/') != 1) continue;
            var job = await GetAsync(blob.Name[..blob.Name.IndexOf('/')], ct);
            if (job is { } found && (statuses is null || statuses.Contains(found.State.RuntimeStatus)))
                jobs.Add(found.State);
        }
        return jobs.OrderByDescending(j => j.CreatedTime).ThenBy(j => j.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Deletes the job's documents and its datasets (purge). The receipt stays, so the blob does not start it again.</summary>
    public async Task<int> PurgeAsync(string id, CancellationToken ct = default)
    {
        var deleted = 0;
        foreach (var container in new[] { Containers.Jobs, Containers.Datasets })
        {
            var names = await blobs.ListAsync(container, id + "/", ct).Select(b => b.Name).ToListAsync(ct);
            // The state document last: a purge interrupted half-way can be repeated.
            foreach (var name in names.OrderBy(n => n == JobPaths.State(id) ? 1 : 0))
            {
                try
                {
                    if (await blobs.DeleteAsync(container, name, ct: ct)) deleted++;
                }
                catch (StorageConflictException)
                {
                    // a leased lock blob of a worker that just finished: its lease expires, the blob stays harmless
                }
            }
        }
        return deleted;
    }

    private static byte[] Serialize(JobState state) => JsonSerializer.SerializeToUtf8Bytes(state, JobJson.Options);
}
