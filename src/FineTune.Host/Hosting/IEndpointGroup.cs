using Microsoft.AspNetCore.Routing;

namespace FineTune.Host.Hosting;

/// <summary>
/// A group of endpoints the host maps at start-up. The host's own groups (jobs, Event Grid, Functions handlers) are
/// mapped directly; other features (OpenAI-compatible serving) register theirs with
/// <c>services.AddSingleton&lt;IEndpointGroup, MyEndpoints&gt;()</c> in <see cref="FineTuneHost.Build"/>'s configure callback.
/// </summary>
public interface IEndpointGroup
{
    /// <summary>Whether the group's routes need the API key when keys are required (false for public endpoints).</summary>
    bool RequiresApiKey => true;

    void Map(IEndpointRouteBuilder endpoints);
}
