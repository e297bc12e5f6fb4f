using System.Text.Json;

namespace FineTune.Pipeline.Jobs;

/// <summary>The body of a job-queue message: which job to advance. Messages only wake workers; the state document is the truth.</summary>
public sealed record WakeMessage(string JobId)
{
    public string ToJson() => JsonSerializer.Serialize(this, JobJson.Options).Replace("\n", "").Replace(" ", "");

    public static WakeMessage? TryParse(string text)
    {
        try
        {
            var message = JsonSerializer.Deserialize<WakeMessage>(text, JobJson.Options);
            return message is not null && JobPaths.IsValidId(message.JobId) ? message : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
