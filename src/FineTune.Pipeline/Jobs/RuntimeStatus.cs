using System.Text.Json.Serialization;

namespace FineTune.Pipeline.Jobs;

/// <summary>Durable Functions' runtime statuses (the subset a FineTune job reaches).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RuntimeStatus>))]
public enum RuntimeStatus
{
    Pending,
    Running,
    Completed,
    Failed,
    Terminated,
}

public static class RuntimeStatusExtensions
{
    public static bool IsTerminal(this RuntimeStatus status) => status is RuntimeStatus.Completed or RuntimeStatus.Failed or RuntimeStatus.Terminated;
}
