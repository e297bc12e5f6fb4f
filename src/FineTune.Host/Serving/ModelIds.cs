namespace FineTune.Host.Serving;

/// <summary>
/// Model ids of fine-tuned deployments, shaped as hosted services name them: <c>ft:&lt;base&gt;:&lt;suffix&gt;:&lt;job-id&gt;</c>,
/// and each epoch checkpoint <c>…:ckpt-epoch-N</c>.
/// </summary>
public static class ModelIds
{
    public static string Deployment(string baseModel, string suffix, string jobId)
    {
        foreach (var (name, value) in new[] { ("base model", baseModel), ("suffix", suffix), ("job id", jobId) })
            if (value.Length == 0 || value.Contains(':') || value.Any(char.IsWhiteSpace))
                throw new ArgumentException($"the {name} \"{value}\" must be non-empty, without ':' or spaces");
        return $"ft:{baseModel}:{suffix}:{jobId}";
    }

    public static string Checkpoint(string modelId, int epoch) =>
        epoch >= 1 ? $"{modelId}:ckpt-epoch-{epoch}" : throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "epochs count from 1");
}
