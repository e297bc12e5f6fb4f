using System.Text.Json.Nodes;
using FineTune.Pipeline.Jobs;

namespace FineTune.Pipeline.Stages;

/// <summary>What a stage attempt decided.</summary>
public abstract record StageOutcome
{
    /// <summary>Go on with <paramref name="Stage"/>.</summary>
    public sealed record Next(JobStage Stage) : StageOutcome;
    /// <summary>The job succeeded.</summary>
    public sealed record Completed(JsonNode? Output) : StageOutcome;
    /// <summary>The job failed with a reason a user can act on.</summary>
    public sealed record Failed(string Reason, JsonObject? Details = null) : StageOutcome;
    /// <summary>Run this stage again after <paramref name="Delay"/> (a durable timer: a delayed queue message).</summary>
    public sealed record Wait(TimeSpan Delay) : StageOutcome;
    /// <summary>Run this stage again when one of <paramref name="EventNames"/> is raised.</summary>
    public sealed record WaitForEvent(params string[] EventNames) : StageOutcome;
}
